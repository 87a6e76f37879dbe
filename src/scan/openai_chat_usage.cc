// OpenAI chat completions (and legacy completions, and OpenAI-compatible servers).
// Streams: usage arrives once, in a chunk with "choices": [] just before `data: [DONE]`,
// and only when the request set stream_options.include_usage (fixture
// openai_chat_stream_include_usage.sse). Newer API versions also put "usage": null on every
// chunk, so the pre-check wants an object value, not just the key. A failure mid-stream is
// `data: {"error": {...}}` (openai_chat_stream_midstream_error.sse).

#include "sluice/scan/json_peek.h"
#include "usage_rules.h"

namespace sluice::scan {
namespace {

using detail::count_member;
using detail::object_member;

// Characters of the text a chunk adds: each choice's delta, or a completion's text.
uint64_t chunk_text_chars(std::string_view data) {
  uint64_t chars = 0;
  bool any_delta = false;
  size_t from = 0;
  for (;;) {
    const size_t at = json::find_object_value(data, "\"delta\"", from);
    if (at == json::npos) break;
    any_delta = true;
    chars += json::count_strings_of(
        data, at, {"content", "reasoning_content", "reasoning", "refusal", "arguments"}, &from);
  }
  if (any_delta) return chars;
  from = 0;
  for (;;) {  // /v1/completions: choices[].text
    const size_t at = json::find_value(data, "\"text\"", from);
    if (at == json::npos || at >= data.size()) break;
    if (data[at] != '"') {
      from = at;
      continue;
    }
    chars += json::string_chars(data, at, &from);
  }
  return chars;
}

}  // namespace

void UsageExtractor::Rules::openai_chat_usage(UsageExtractor& x, const rapidjson::Value& usage) {
  Usage u;
  u.input_tokens = count_member(usage, "prompt_tokens");
  u.output_tokens = count_member(usage, "completion_tokens");
  if (const rapidjson::Value* d = object_member(usage, "prompt_tokens_details")) {
    u.cached_tokens = count_member(*d, "cached_tokens");
  }
  if (const rapidjson::Value* d = object_member(usage, "completion_tokens_details")) {
    u.reasoning_tokens = count_member(*d, "reasoning_tokens");
  }
  set_usage(x, u);
}

void UsageExtractor::Rules::openai_chat_body(UsageExtractor& x, const rapidjson::Value& root) {
  if (const rapidjson::Value* usage = object_member(root, "usage")) openai_chat_usage(x, *usage);
}

EventFacts UsageExtractor::Rules::openai_chat_event(UsageExtractor& x, const SseEvent& event) {
  EventFacts facts;
  const std::string_view data = event.data;
  if (data == "[DONE]") {
    facts.terminal = true;
    return facts;
  }
  if (check_error_envelope(x, data)) {
    facts.error = true;
    return facts;
  }
  facts.output_chars = chunk_text_chars(data);
  if (json::find_object_value(data, "\"usage\"") == json::npos) return facts;

  detail::JsonDoc doc;
  if (!doc.parse(data)) return facts;
  const rapidjson::Value* usage = object_member(doc.root(), "usage");
  if (usage == nullptr) return facts;
  openai_chat_usage(x, *usage);
  facts.carried_usage = true;
  const rapidjson::Value* choices = detail::member(doc.root(), "choices");
  facts.usage_only_chunk = choices != nullptr && choices->IsArray() && choices->Empty();
  return facts;
}

}  // namespace sluice::scan
