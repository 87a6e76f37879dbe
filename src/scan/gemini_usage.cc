// Gemini generateContent / streamGenerateContent?alt=sse. Chunks may each carry a
// cumulative usageMetadata that a later chunk revises (prompt-only counts of 7 until the
// final chunk says 6: gemini_stream_prompt_only_until_final_crlf.sse), so the last one wins
// whole, fields it leaves out included. A candidate's finishReason marks the normal end
// (there is no end event). A failure mid-stream is a bare `{"error": ...}` line without
// `data:` (gemini_stream_midstream_error_sdk.sse), which the splitter keeps as stray text.
//
// Only the usageMetadata object is parsed, not the chunk around it: every chunk carries
// one, and the text around it is most of the bytes.

#include <algorithm>

#include "sluice/scan/json_peek.h"
#include "usage_rules.h"

namespace sluice::scan {
namespace {

using detail::count_member;
using detail::object_member;

constexpr Needles kChunkKeys{"\"text\"", "\"usageMetadata\"", "\"finishReason\""};
constexpr size_t kTextKey = 0;
constexpr size_t kUsageKey = 1;

struct ChunkLook {
  uint64_t output_chars = 0;
  std::string_view usage_metadata;  // the object's text, when there is one
  bool finished = false;            // a candidate has a finishReason
};

ChunkLook look_at_chunk(std::string_view data) {
  ChunkLook look;
  size_t from = 0;
  while (from != json::npos) {
    json::KeyHit keys[8];
    const json::KeyHits found = json::find_all_keys(data, kChunkKeys, keys, 8, from);
    size_t read_to = 0;  // keys inside values already read are no keys of the chunk
    for (size_t k = 0; k < found.count; ++k) {
      const size_t at = keys[k].value;
      if (at < read_to || at >= data.size()) continue;
      const char c = data[at];
      if (keys[k].index == kTextKey) {
        if (c == '"') look.output_chars += json::string_chars(data, at, &read_to);
      } else if (keys[k].index == kUsageKey) {
        const size_t len = c == '{' ? json::container_length(data, at) : 0;
        if (len != 0) {
          look.usage_metadata = data.substr(at, len);
          read_to = at + len;
        }
      } else {
        look.finished = look.finished || c == '"';
      }
    }
    from = found.resume == json::npos ? json::npos : std::max(found.resume, read_to);
  }
  return look;
}

}  // namespace

template <class Object>
void UsageExtractor::Rules::gemini_usage(UsageExtractor& x, const Object& usage) {
  const uint64_t thoughts = count_member(usage, "thoughtsTokenCount");
  Usage u;
  u.input_tokens =
      count_member(usage, "promptTokenCount") + count_member(usage, "toolUsePromptTokenCount");
  u.cached_tokens = count_member(usage, "cachedContentTokenCount");
  u.output_tokens = count_member(usage, "candidatesTokenCount") + thoughts;
  u.reasoning_tokens = thoughts;
  set_usage(x, u);
}

template void UsageExtractor::Rules::gemini_usage(UsageExtractor&, const rapidjson::Value&);
template void UsageExtractor::Rules::gemini_usage(UsageExtractor&, const detail::ScannedObject&);

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
  const ChunkLook look = look_at_chunk(data);
  facts.output_chars = look.output_chars;
  facts.terminal = look.finished;
  if (look.usage_metadata.empty()) return facts;
  detail::JsonDoc doc;
  if (!doc.parse(look.usage_metadata)) return facts;
  gemini_usage(x, doc.root());
  facts.carried_usage = true;
  return facts;
}

}  // namespace sluice::scan
