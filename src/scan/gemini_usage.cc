// Gemini generateContent / streamGenerateContent?alt=sse. Chunks may each carry a
// cumulative usageMetadata that a later chunk revises (prompt-only counts of 7 until the
// final chunk says 6: gemini_stream_prompt_only_until_final_crlf.sse), so the last one wins
// whole, fields it leaves out included. A candidate's finishReason marks the normal end
// (there is no end event). A failure mid-stream is a bare `{"error": ...}` line without
// `data:` (gemini_stream_midstream_error_sdk.sse), which the splitter keeps as stray text.
//
// Only the usageMetadata object is parsed, not the chunk around it: every chunk carries
// one, and the text around it is most of the bytes.

#include "sluice/scan/json_peek.h"
#include "usage_rules.h"

namespace sluice::scan {
namespace {

using detail::count_member;
using detail::object_member;

uint64_t parts_text_chars(std::string_view data) {
  uint64_t chars = 0;
  size_t from = 0;
  for (;;) {
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

void UsageExtractor::Rules::gemini_usage(UsageExtractor& x, const rapidjson::Value& usage) {
  const uint64_t thoughts = count_member(usage, "thoughtsTokenCount");
  Usage u;
  u.input_tokens =
      count_member(usage, "promptTokenCount") + count_member(usage, "toolUsePromptTokenCount");
  u.cached_tokens = count_member(usage, "cachedContentTokenCount");
  u.output_tokens = count_member(usage, "candidatesTokenCount") + thoughts;
  u.reasoning_tokens = thoughts;
  set_usage(x, u);
}

void UsageExtractor::Rules::gemini_body(UsageExtractor& x, const rapidjson::Value& root) {
  if (const rapidjson::Value* usage = object_member(root, "usageMetadata")) {
    gemini_usage(x, *usage);
  }
}

EventFacts UsageExtractor::Rules::gemini_event(UsageExtractor& x, const SseEvent& event) {
  EventFacts facts;
  const std::string_view data = event.data;
  if (check_error_envelope(x, data)) {
    facts.error = true;
    return facts;
  }
  facts.output_chars = parts_text_chars(data);
  const size_t reason = json::find_value(data, "\"finishReason\"");
  facts.terminal = reason != json::npos && reason < data.size() && data[reason] == '"';

  const size_t at = json::find_object_value(data, "\"usageMetadata\"");
  if (at == json::npos) return facts;
  const size_t len = json::container_length(data, at);
  if (len == 0) return facts;
  detail::JsonDoc doc;
  if (!doc.parse(data.substr(at, len))) return facts;
  gemini_usage(x, doc.root());
  facts.carried_usage = true;
  return facts;
}

}  // namespace sluice::scan
