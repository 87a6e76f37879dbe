#pragma once
// The words the three formats share under different names, in one place for the request,
// response and stream translators: finish reasons, token counts, roles and the ids sluice
// invents. Pure functions, no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/route/api_flavor.h"

namespace sluice::translate {

using route::ApiFlavor;

// ---- finish reasons -----------------------------------------------------------------
//
//   neutral         OpenAI finish_reason   Anthropic stop_reason   Gemini finishReason
//   end_turn        stop                   end_turn                STOP
//   stop_sequence   stop                   stop_sequence           STOP
//   max_tokens      length                 max_tokens              MAX_TOKENS
//   tool_use        tool_calls             tool_use                STOP (with functionCall parts)
//   content_filter  content_filter         refusal                 SAFETY (and the other blocks)
//   other           stop                   end_turn                OTHER
enum class FinishReason : uint8_t {
  end_turn,
  stop_sequence,
  max_tokens,
  tool_use,
  content_filter,
  other
};

FinishReason finish_from_openai(std::string_view finish_reason);
FinishReason finish_from_anthropic(std::string_view stop_reason);
// Gemini says STOP both for a plain answer and for one that calls functions.
FinishReason finish_from_gemini(std::string_view finish_reason, bool has_function_calls);
FinishReason finish_from(ApiFlavor flavor, std::string_view reason, bool has_function_calls);

std::string_view openai_finish_reason(FinishReason reason);
std::string_view anthropic_stop_reason(FinishReason reason);
std::string_view gemini_finish_reason(FinishReason reason);
std::string_view finish_name(ApiFlavor flavor, FinishReason reason);

// ---- usage --------------------------------------------------------------------------
//
// One neutral count. `input` is the prompt tokens neither read from nor written to a
// cache; the prompt total is input + cache_read + cache_write. `output` is every
// generated token, reasoning included; `reasoning` is the part of output that was
// thinking.
//   OpenAI     prompt_tokens = input + cache_read + cache_write,
//              prompt_tokens_details.cached_tokens = cache_read,
//              completion_tokens = output,
//              completion_tokens_details.reasoning_tokens = reasoning
//   Anthropic  input_tokens = input, cache_read_input_tokens = cache_read,
//              cache_creation_input_tokens = cache_write, output_tokens = output
//              (no reasoning count of its own: thinking is inside output_tokens)
//   Gemini     promptTokenCount = input + cache_read + cache_write (+ toolUsePromptTokenCount
//              read into input), cachedContentTokenCount = cache_read,
//              candidatesTokenCount = output - reasoning, thoughtsTokenCount = reasoning
struct TokenCounts {
  uint64_t input = 0;
  uint64_t output = 0;
  uint64_t cache_read = 0;
  uint64_t cache_write = 0;
  uint64_t reasoning = 0;

  uint64_t prompt_total() const { return input + cache_read + cache_write; }
  bool operator==(const TokenCounts&) const = default;
};

TokenCounts tokens_from_openai(uint64_t prompt_tokens, uint64_t completion_tokens,
                               uint64_t cached_tokens, uint64_t reasoning_tokens);
TokenCounts tokens_from_anthropic(uint64_t input_tokens, uint64_t output_tokens,
                                  uint64_t cache_read_input_tokens,
                                  uint64_t cache_creation_input_tokens);
TokenCounts tokens_from_gemini(uint64_t prompt_token_count, uint64_t candidates_token_count,
                               uint64_t cached_content_token_count, uint64_t thoughts_token_count,
                               uint64_t tool_use_prompt_token_count = 0);

// Reads a usage object as the flavor writes it (OpenAI `usage`, Anthropic `usage`,
// Gemini `usageMetadata`), given as its JSON text. Absent members count 0; false when
// the text is not a JSON object.
bool read_usage(ApiFlavor flavor, std::string_view usage_object, TokenCounts& out);

// Appends the usage object in the flavor's shape, e.g. for OpenAI
// {"prompt_tokens":..,"completion_tokens":..,"total_tokens":..,"prompt_tokens_details":
// {"cached_tokens":..},"completion_tokens_details":{"reasoning_tokens":..}}.
void append_usage(std::string& out, ApiFlavor flavor, const TokenCounts& counts);

// ---- roles ----------------------------------------------------------------------------
//
//   neutral    OpenAI               Anthropic              Gemini
//   system     system / developer   top-level `system`     systemInstruction
//   user       user                 user                   user
//   assistant  assistant            assistant              model
//   tool       tool                 user (tool_result)     user (functionResponse)
enum class Role : uint8_t { system, user, assistant, tool };

// The role string a message of this role carries in the flavor ("" for a system prompt
// in Anthropic and Gemini, which is not a message there).
std::string_view role_name(ApiFlavor flavor, Role role);
// A message's role string read back; nullopt for one the flavor does not define.
// (Gemini's older "function" role reads as tool.)
std::optional<Role> role_from(ApiFlavor flavor, std::string_view name);

// ---- ids --------------------------------------------------------------------------------
//
// Ids sluice invents when the provider's format has none the client's needs. Each is
// derived from the request id (only [A-Za-z0-9_-] kept), so one request's ids are stable.
std::string completion_id(std::string_view request_id);  // "chatcmpl-<id>"
// The same ids appended to `out` as JSON strings, with no string of their own.
void append_completion_id_json(std::string& out, std::string_view request_id);
void append_message_id_json(std::string& out, std::string_view request_id);
std::string message_id(std::string_view request_id);  // "msg_<id>"
// A tool call id in the client's format for the index-th call of the response:
// "call_<id>_<index>" (OpenAI, Gemini), "toolu_<id>_<index>" (Anthropic).
std::string tool_call_id(ApiFlavor client, std::string_view request_id, uint32_t index);
// A client's tool call id made acceptable where ids must match ^[A-Za-z0-9_-]+$
// (Anthropic): other bytes become '_', an empty id becomes "toolu_empty". The same input
// gives the same output, so a tool_result finds its tool_use on the next turn.
std::string safe_tool_id(std::string_view id);

}  // namespace sluice::translate
