// OpenAI chat completions (and legacy completions, and OpenAI-compatible servers).
// Streams: usage arrives once, in a chunk with "choices": [] just before `data: [DONE]`,
// and only when the request set stream_options.include_usage (fixture
// openai_chat_stream_include_usage.sse). Newer API versions also put "usage": null on every
// chunk, so the pre-check wants an object value, not just the key. A failure mid-stream is
// `data: {"error": {...}}` (openai_chat_stream_midstream_error.sse).

#include <algorithm>

#include "sluice/scan/json_peek.h"
#include "usage_rules.h"

namespace sluice::scan {
namespace {

using detail::count_member;
using detail::object_member;

constexpr Needles kChunkKeys{"\"delta\"", "\"usage\""};
constexpr size_t kDeltaKey = 0;

struct ChunkLook {
  uint64_t output_chars = 0;
  bool has_usage_object = false;
};

// /v1/completions chunks have choices[].text instead of a delta.
uint64_t completion_text_chars(std::string_view data) {
  uint64_t chars = 0;
  size_t from = 0;
  for (;;) {
    const size_t at = json::find_value(data, "\"text\"", from);
    if (at == json::npos || at >= data.size()) break;
    from = at;
    if (data[at] == '"') chars += json::string_chars(data, at, &from);
  }
  return chars;
}

// Characters of the text in the delta object at `at`; `*end` gets the offset after it.
uint64_t delta_text_chars(std::string_view data, size_t at, size_t* end) {
  // Nearly every chunk's delta is {"content":"..."}: read that shape directly.
  constexpr std::string_view kContent = "{\"content\":\"";
  if (data.substr(at, kContent.size()) == kContent) {
    size_t after = 0;
    const uint64_t chars = json::string_chars(data, at + kContent.size() - 1, &after);
    if (after < data.size() && data[after] == '}') {
      *end = after + 1;
      return chars;
    }
  }
  return json::count_strings_of(
      data, at, {"content", "reasoning_content", "reasoning", "refusal", "arguments"}, end);
}

// One pass over the chunk: each choice's delta text, and whether a usage object is there.
ChunkLook look_at_chunk(std::string_view data) {
  ChunkLook look;
  bool any_delta = false;
  size_t from = 0;
  while (from != json::npos) {
    json::KeyHit keys[8];
    const json::KeyHits found = json::find_all_keys(data, kChunkKeys, keys, 8, from);
    size_t read_to = 0;  // keys inside a delta already counted are not keys of the chunk
    for (size_t k = 0; k < found.count; ++k) {
      const size_t at = keys[k].value;
      if (at < read_to || at >= data.size() || data[at] != '{') continue;
      if (keys[k].index == kDeltaKey) {
        any_delta = true;
        look.output_chars += delta_text_chars(data, at, &read_to);
      } else {
        look.has_usage_object = true;
      }
    }
    from = found.resume == json::npos ? json::npos : std::max(found.resume, read_to);
  }
  if (!any_delta) look.output_chars = completion_text_chars(data);
  return look;
}

}  // namespace

template <class Object>
void UsageExtractor::Rules::openai_chat_usage(UsageExtractor& x, const Object& usage) {
  Usage u;
  u.input_tokens = count_member(usage, "prompt_tokens");
  u.output_tokens = count_member(usage, "completion_tokens");
  if (const auto d = object_member(usage, "prompt_tokens_details")) {
    u.cached_tokens = count_member(*d, "cached_tokens");
  }
  if (const auto d = object_member(usage, "completion_tokens_details")) {
    u.reasoning_tokens = count_member(*d, "reasoning_tokens");
  }
  set_usage(x, u);
}

template void UsageExtractor::Rules::openai_chat_usage(UsageExtractor&, const rapidjson::Value&);
template void UsageExtractor::Rules::openai_chat_usage(UsageExtractor&,
                                                       const detail::ScannedObject&);

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
  const ChunkLook look = look_at_chunk(data);
  facts.output_chars = look.output_chars;
  if (!look.has_usage_object) return facts;

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
