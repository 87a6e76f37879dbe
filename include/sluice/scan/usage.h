#pragma once
// Token usage as the ledger counts it, whichever provider reported it, and the way a
// response ended.
//
// One convention for every provider (the ledger's, include/sluice/ledger/price.h):
// cached_tokens and cache_creation_tokens are parts of input_tokens, reasoning_tokens is
// part of output_tokens, and input_tokens + output_tokens is everything billed. Providers
// that count those parts apart are added up by their extractor:
//   OpenAI chat      input = prompt_tokens (includes prompt_tokens_details.cached_tokens),
//                    output = completion_tokens (includes
//                    completion_tokens_details.reasoning_tokens)
//   OpenAI Responses input = input_tokens, output = output_tokens, with
//                    input_tokens_details.{cached_tokens, cache_write_tokens} and
//                    output_tokens_details.reasoning_tokens as the parts
//   Anthropic        input = input_tokens + cache_creation_input_tokens + cache_read_input_tokens
//                    (Anthropic's input_tokens excludes both cache counts), cached = cache reads,
//                    output = output_tokens (thinking is inside it; not reported apart)
//   Gemini           input = promptTokenCount + toolUsePromptTokenCount (tool results fed back
//                    to the model are billed as prompt), cached = cachedContentTokenCount (part
//                    of promptTokenCount), output = candidatesTokenCount + thoughtsTokenCount
//                    (thinking is billed at the output rate and is not inside
//                    candidatesTokenCount), reasoning = thoughtsTokenCount. So
//                    input + output == totalTokenCount, as Gemini reports it.

#include <cstdint>
#include <string_view>

namespace sluice::scan {

// Which provider API produced a response body.
enum class ResponseApi : uint8_t { openai_chat, openai_responses, anthropic, gemini };

std::string_view to_text(ResponseApi api);  // "openai_chat", "openai_responses", ...

struct Usage {
  uint64_t input_tokens = 0;           // every input token, cached and cache writes included
  uint64_t output_tokens = 0;          // every output token, reasoning included
  uint64_t cached_tokens = 0;          // input read from the provider's prompt cache
  uint64_t cache_creation_tokens = 0;  // input written to the prompt cache (Anthropic, OpenAI)
  uint64_t reasoning_tokens = 0;       // output spent on thinking
  bool found = false;                  // the provider reported usage at all

  bool operator==(const Usage&) const = default;
};

// How a response ended, as far as its body shows.
enum class StreamOutcome : uint8_t {
  complete,  // the provider's normal end: [DONE], message_stop, response.completed, ...
  error,     // the provider sent an error in the body (an error event, an error envelope)
  cut_off,   // the body ended (or has not yet ended) without either
};

std::string_view to_text(StreamOutcome outcome);  // "complete", "error", "cut_off"

}  // namespace sluice::scan
