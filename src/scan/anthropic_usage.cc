// Anthropic Messages. `message_start` → message.usage holds the input side (input_tokens,
// cache_creation_input_tokens, cache_read_input_tokens) and a first output count; every
// `message_delta` → usage is cumulative, so each count it carries overwrites the one held
// (never adds): anthropic_messages_stream_text_cache_fields.sse repeats input_tokens there.
// `message_stop` ends the stream; `event: error` fails it
// (anthropic_messages_stream_overloaded_midstream.sse).

#include "sluice/scan/json_peek.h"
#include "usage_rules.h"

namespace sluice::scan {
namespace {

using detail::object_member;
using detail::read_count;

// The keys of a delta's text: text_delta, thinking_delta, input_json_delta.
constexpr Needles kTextKey{"\"text\""};
constexpr Needles kThinkingKey{"\"thinking\""};
constexpr Needles kPartialJsonKey{"\"partial_json\""};

}  // namespace

template <class Object>
void UsageExtractor::Rules::anthropic_usage(UsageExtractor& x, const Object& usage) {
  read_count(usage, "input_tokens", x.anthropic_input_);
  read_count(usage, "cache_creation_input_tokens", x.anthropic_cache_creation_);
  read_count(usage, "cache_read_input_tokens", x.anthropic_cache_read_);
  read_count(usage, "output_tokens", x.anthropic_output_);
  Usage u;
  // Anthropic's input_tokens leaves out both cache counts; ours includes them.
  u.input_tokens = x.anthropic_input_ + x.anthropic_cache_creation_ + x.anthropic_cache_read_;
  u.cached_tokens = x.anthropic_cache_read_;
  u.cache_creation_tokens = x.anthropic_cache_creation_;
  u.output_tokens = x.anthropic_output_;
  set_usage(x, u);
}

template void UsageExtractor::Rules::anthropic_usage(UsageExtractor&, const rapidjson::Value&);
template void UsageExtractor::Rules::anthropic_usage(UsageExtractor&, const detail::ScannedObject&);

void UsageExtractor::Rules::anthropic_body(UsageExtractor& x, const rapidjson::Value& root) {
  if (const rapidjson::Value* usage = object_member(root, "usage")) anthropic_usage(x, *usage);
}

namespace {

EventFacts typed_event(UsageExtractor& x, std::string_view data, std::string_view type) {
  using Rules = UsageExtractor::Rules;
  EventFacts facts;
  if (type == "content_block_delta") {
    // Anthropic writes the delta's text last: read it from the end.
    const json::TrailingString last = json::trailing_string(data);
    if (last.key == "\"text\"" || last.key == "\"thinking\"" || last.key == "\"partial_json\"") {
      facts.output_chars = last.chars;
      return facts;
    }
    // Else only the delta holds these keys, and it holds one of them.
    for (const Needles* key : {&kTextKey, &kThinkingKey, &kPartialJsonKey}) {
      const size_t at = json::find_value(data, *key);
      if (at == json::npos || at >= data.size()) continue;
      size_t end = 0;
      if (data[at] == '"') facts.output_chars = json::string_chars(data, at, &end);
      break;
    }
    return facts;
  }
  if (type == "message_stop") {
    facts.terminal = true;
    return facts;
  }
  const bool start = type == "message_start";
  if (!start && type != "message_delta" && type != "error") {
    facts.error = Rules::check_error_envelope(x, data);
    return facts;
  }
  detail::JsonDoc doc;
  const bool parsed = doc.parse(data);
  if (type == "error") {
    facts.error = true;
    Rules::note_error(x, parsed ? &doc.root() : nullptr);
    return facts;
  }
  if (!parsed) return facts;
  const rapidjson::Value* holder = start ? object_member(doc.root(), "message") : &doc.root();
  if (holder == nullptr) return facts;
  if (const rapidjson::Value* usage = object_member(*holder, "usage")) {
    Rules::anthropic_usage(x, *usage);
    facts.carried_usage = true;
  }
  return facts;
}

}  // namespace

EventFacts UsageExtractor::Rules::anthropic_event(UsageExtractor& x, const SseEvent& event) {
  if (!event.type.empty()) return typed_event(x, event.data, event.type);
  // No `event:` line: the type is inside the JSON.
  detail::JsonDoc doc;
  const std::string_view type =
      doc.parse(event.data) ? detail::string_member(doc.root(), "type") : std::string_view();
  return typed_event(x, event.data, type);
}

}  // namespace sluice::scan
