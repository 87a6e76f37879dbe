#include "sluice/translate/vocab.h"

#include "json.h"
#include "sluice/core/append_number.h"

namespace sluice::translate {

// ---- finish reasons -------------------------------------------------------------------

FinishReason finish_from_openai(std::string_view r) {
  if (r == "stop") return FinishReason::end_turn;
  if (r == "length") return FinishReason::max_tokens;
  if (r == "tool_calls" || r == "function_call") return FinishReason::tool_use;
  if (r == "content_filter") return FinishReason::content_filter;
  return FinishReason::other;
}

FinishReason finish_from_anthropic(std::string_view r) {
  if (r == "end_turn" || r == "pause_turn") return FinishReason::end_turn;
  if (r == "stop_sequence") return FinishReason::stop_sequence;
  if (r == "max_tokens" || r == "model_context_window_exceeded") return FinishReason::max_tokens;
  if (r == "tool_use") return FinishReason::tool_use;
  if (r == "refusal") return FinishReason::content_filter;
  return FinishReason::other;
}

FinishReason finish_from_gemini(std::string_view r, bool has_function_calls) {
  if (r == "STOP") return has_function_calls ? FinishReason::tool_use : FinishReason::end_turn;
  if (r == "MAX_TOKENS") return FinishReason::max_tokens;
  // Every reason Gemini gives for withholding or cutting an answer on policy grounds.
  if (r == "SAFETY" || r == "RECITATION" || r == "BLOCKLIST" || r == "PROHIBITED_CONTENT" ||
      r == "SPII" || r == "IMAGE_SAFETY" || r == "IMAGE_PROHIBITED_CONTENT" ||
      r == "IMAGE_RECITATION") {
    return FinishReason::content_filter;
  }
  if (has_function_calls) return FinishReason::tool_use;
  return FinishReason::other;
}

FinishReason finish_from(ApiFlavor flavor, std::string_view reason, bool has_function_calls) {
  switch (flavor) {
    case ApiFlavor::anthropic:
      return finish_from_anthropic(reason);
    case ApiFlavor::gemini:
      return finish_from_gemini(reason, has_function_calls);
    case ApiFlavor::openai:
      break;
  }
  return finish_from_openai(reason);
}

std::string_view openai_finish_reason(FinishReason r) {
  switch (r) {
    case FinishReason::max_tokens:
      return "length";
    case FinishReason::tool_use:
      return "tool_calls";
    case FinishReason::content_filter:
      return "content_filter";
    case FinishReason::end_turn:
    case FinishReason::stop_sequence:
    case FinishReason::other:
      break;
  }
  return "stop";
}

std::string_view anthropic_stop_reason(FinishReason r) {
  switch (r) {
    case FinishReason::stop_sequence:
      return "stop_sequence";
    case FinishReason::max_tokens:
      return "max_tokens";
    case FinishReason::tool_use:
      return "tool_use";
    case FinishReason::content_filter:
      return "refusal";
    case FinishReason::end_turn:
    case FinishReason::other:
      break;
  }
  return "end_turn";
}

std::string_view gemini_finish_reason(FinishReason r) {
  switch (r) {
    case FinishReason::max_tokens:
      return "MAX_TOKENS";
    case FinishReason::content_filter:
      return "SAFETY";
    case FinishReason::other:
      return "OTHER";
    case FinishReason::end_turn:
    case FinishReason::stop_sequence:
    case FinishReason::tool_use:
      break;
  }
  return "STOP";
}

std::string_view finish_name(ApiFlavor flavor, FinishReason reason) {
  switch (flavor) {
    case ApiFlavor::anthropic:
      return anthropic_stop_reason(reason);
    case ApiFlavor::gemini:
      return gemini_finish_reason(reason);
    case ApiFlavor::openai:
      break;
  }
  return openai_finish_reason(reason);
}

// ---- usage ------------------------------------------------------------------------------

namespace {

uint64_t minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

}  // namespace

TokenCounts tokens_from_openai(uint64_t prompt_tokens, uint64_t completion_tokens,
                               uint64_t cached_tokens, uint64_t reasoning_tokens) {
  TokenCounts t;
  t.cache_read = cached_tokens < prompt_tokens ? cached_tokens : prompt_tokens;
  t.input = prompt_tokens - t.cache_read;
  t.output = completion_tokens;
  t.reasoning = reasoning_tokens < completion_tokens ? reasoning_tokens : completion_tokens;
  return t;
}

TokenCounts tokens_from_anthropic(uint64_t input_tokens, uint64_t output_tokens,
                                  uint64_t cache_read_input_tokens,
                                  uint64_t cache_creation_input_tokens) {
  TokenCounts t;
  t.input = input_tokens;
  t.output = output_tokens;
  t.cache_read = cache_read_input_tokens;
  t.cache_write = cache_creation_input_tokens;
  return t;
}

TokenCounts tokens_from_gemini(uint64_t prompt_token_count, uint64_t candidates_token_count,
                               uint64_t cached_content_token_count, uint64_t thoughts_token_count,
                               uint64_t tool_use_prompt_token_count) {
  TokenCounts t;
  t.cache_read = cached_content_token_count < prompt_token_count ? cached_content_token_count
                                                                 : prompt_token_count;
  t.input = minus(prompt_token_count, t.cache_read) + tool_use_prompt_token_count;
  t.output = candidates_token_count + thoughts_token_count;
  t.reasoning = thoughts_token_count;
  return t;
}

bool read_usage(ApiFlavor flavor, std::string_view usage_object, TokenCounts& out) {
  json::Document doc;
  std::string error;
  if (!json::parse(usage_object, doc, error) || !doc.IsObject()) return false;
  const json::Value* u = &doc;
  switch (flavor) {
    case ApiFlavor::openai:
      out = tokens_from_openai(
          json::uint(u, "prompt_tokens"), json::uint(u, "completion_tokens"),
          json::uint(json::object(u, "prompt_tokens_details"), "cached_tokens"),
          json::uint(json::object(u, "completion_tokens_details"), "reasoning_tokens"));
      break;
    case ApiFlavor::anthropic:
      out = tokens_from_anthropic(json::uint(u, "input_tokens"), json::uint(u, "output_tokens"),
                                  json::uint(u, "cache_read_input_tokens"),
                                  json::uint(u, "cache_creation_input_tokens"));
      break;
    case ApiFlavor::gemini:
      out = tokens_from_gemini(
          json::uint(u, "promptTokenCount"), json::uint(u, "candidatesTokenCount"),
          json::uint(u, "cachedContentTokenCount"), json::uint(u, "thoughtsTokenCount"),
          json::uint(u, "toolUsePromptTokenCount"));
      break;
  }
  return true;
}

void append_usage(std::string& out, ApiFlavor flavor, const TokenCounts& c) {
  auto field = [&out](std::string_view name, uint64_t v) {
    out.append("\"").append(name).append("\":");
    core::append_uint(out, v);
  };
  switch (flavor) {
    case ApiFlavor::openai:
      out += '{';
      field("prompt_tokens", c.prompt_total());
      out += ',';
      field("completion_tokens", c.output);
      out += ',';
      field("total_tokens", c.prompt_total() + c.output);
      out += R"(,"prompt_tokens_details":{)";
      field("cached_tokens", c.cache_read);
      out += R"(},"completion_tokens_details":{)";
      field("reasoning_tokens", c.reasoning);
      out += "}}";
      break;
    case ApiFlavor::anthropic:
      out += '{';
      field("input_tokens", c.input);
      out += ',';
      field("cache_creation_input_tokens", c.cache_write);
      out += ',';
      field("cache_read_input_tokens", c.cache_read);
      out += ',';
      field("output_tokens", c.output);
      out += '}';
      break;
    case ApiFlavor::gemini: {
      const uint64_t candidates = minus(c.output, c.reasoning);
      out += '{';
      field("promptTokenCount", c.prompt_total());
      out += ',';
      field("candidatesTokenCount", candidates);
      out += ',';
      field("totalTokenCount", c.prompt_total() + c.output);
      if (c.cache_read > 0) {
        out += ',';
        field("cachedContentTokenCount", c.cache_read);
      }
      if (c.reasoning > 0) {
        out += ',';
        field("thoughtsTokenCount", c.reasoning);
      }
      out += '}';
      break;
    }
  }
}

// ---- roles --------------------------------------------------------------------------------

std::string_view role_name(ApiFlavor flavor, Role role) {
  switch (role) {
    case Role::system:
      return flavor == ApiFlavor::openai ? "system" : "";
    case Role::user:
      return "user";
    case Role::assistant:
      return flavor == ApiFlavor::gemini ? "model" : "assistant";
    case Role::tool:
      return flavor == ApiFlavor::openai ? "tool" : "user";
  }
  return "user";
}

std::optional<Role> role_from(ApiFlavor flavor, std::string_view name) {
  switch (flavor) {
    case ApiFlavor::openai:
      if (name == "system" || name == "developer") return Role::system;
      if (name == "user") return Role::user;
      if (name == "assistant") return Role::assistant;
      if (name == "tool" || name == "function") return Role::tool;
      break;
    case ApiFlavor::anthropic:
      if (name == "user") return Role::user;
      if (name == "assistant") return Role::assistant;
      break;
    case ApiFlavor::gemini:
      if (name == "user" || name.empty()) return Role::user;
      if (name == "model") return Role::assistant;
      if (name == "function") return Role::tool;
      break;
  }
  return std::nullopt;
}

// ---- ids ------------------------------------------------------------------------------------

namespace {

void append_id_chars(std::string& out, std::string_view s) {
  for (char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
        c == '-') {
      out += c;
    }
  }
}

std::string prefixed(std::string_view prefix, std::string_view request_id) {
  std::string id(prefix);
  append_id_chars(id, request_id);
  if (id.size() == prefix.size()) id += "0";
  return id;
}

// `prefix` and the id's characters need no escape: quoted as they are.
void append_prefixed_json(std::string& out, std::string_view prefix, std::string_view request_id) {
  out += '"';
  out += prefix;
  const size_t start = out.size();
  append_id_chars(out, request_id);
  if (out.size() == start) out += '0';
  out += '"';
}

}  // namespace

std::string completion_id(std::string_view request_id) { return prefixed("chatcmpl-", request_id); }

void append_completion_id_json(std::string& out, std::string_view request_id) {
  append_prefixed_json(out, "chatcmpl-", request_id);
}

void append_message_id_json(std::string& out, std::string_view request_id) {
  append_prefixed_json(out, "msg_", request_id);
}

std::string message_id(std::string_view request_id) { return prefixed("msg_", request_id); }

std::string tool_call_id(ApiFlavor client, std::string_view request_id, uint32_t index) {
  std::string id = prefixed(client == ApiFlavor::anthropic ? "toolu_" : "call_", request_id);
  id += '_';
  core::append_uint(id, index);
  return id;
}

std::string safe_tool_id(std::string_view id) {
  if (id.empty()) return "toolu_empty";
  std::string out;
  out.reserve(id.size());
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    out += ok ? c : '_';
  }
  return out;
}

}  // namespace sluice::translate
