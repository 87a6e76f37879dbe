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

}  // namespace

void UsageExtractor::Rules::anthropic_usage(UsageExtractor& x, const rapidjson::Value& usage) {
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

void UsageExtractor::Rules::anthropic_body(UsageExtractor& x, const rapidjson::Value& root) {
  if (const rapidjson::Value* usage = object_member(root, "usage")) anthropic_usage(x, *usage);
}

EventFacts UsageExtractor::Rules::anthropic_event(UsageExtractor& x, const SseEvent& event) {
  EventFacts facts;
  const std::string_view data = event.data;
  detail::JsonDoc doc;
  bool parsed = false;
  const std::string_view type = event_type(event, doc, parsed);

  if (type == "content_block_delta") {
    const size_t at = json::find_object_value(data, "\"delta\"");
    if (at != json::npos) {
      size_t end = 0;
      facts.output_chars =
          json::count_strings_of(data, at, {"text", "thinking", "partial_json"}, &end);
    }
    return facts;
  }
  if (type == "message_stop") {
    facts.terminal = true;
    return facts;
  }
  if (type == "error") {
    facts.error = true;
    if (!parsed) parsed = doc.parse(data);
    note_error(x, parsed ? &doc.root() : nullptr);
    return facts;
  }
  const bool start = type == "message_start";
  if (!start && type != "message_delta") {
    if (check_error_envelope(x, data)) facts.error = true;
    return facts;
  }
  if (!parsed && !doc.parse(data)) return facts;
  const rapidjson::Value* holder = start ? object_member(doc.root(), "message") : &doc.root();
  if (holder == nullptr) return facts;
  if (const rapidjson::Value* usage = object_member(*holder, "usage")) {
    anthropic_usage(x, *usage);
    facts.carried_usage = true;
  }
  return facts;
}

}  // namespace sluice::scan
