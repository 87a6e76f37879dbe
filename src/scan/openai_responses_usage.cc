// OpenAI Responses API. Streams name each event (`event: response.output_text.delta`);
// usage is only final in `response.completed` (or `response.incomplete`, or
// `response.failed`) → response.usage: `response.created` may carry a zeroed usage
// (openai_responses_stream_sdk_text.sse), which must not count. Errors are an `error`
// event or `response.failed`. Data-only streams (the SDK's fixtures) carry the type in
// the JSON instead, and are parsed to find it.

#include "sluice/scan/json_peek.h"
#include "usage_rules.h"

namespace sluice::scan {
namespace {

using detail::count_member;
using detail::object_member;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

template <class Object>
void UsageExtractor::Rules::openai_responses_usage(UsageExtractor& x, const Object& usage) {
  Usage u;
  u.input_tokens = count_member(usage, "input_tokens");
  u.output_tokens = count_member(usage, "output_tokens");
  if (const auto d = object_member(usage, "input_tokens_details")) {
    u.cached_tokens = count_member(*d, "cached_tokens");
    u.cache_creation_tokens = count_member(*d, "cache_write_tokens");
  }
  if (const auto d = object_member(usage, "output_tokens_details")) {
    u.reasoning_tokens = count_member(*d, "reasoning_tokens");
  }
  set_usage(x, u);
}

template void UsageExtractor::Rules::openai_responses_usage(UsageExtractor&,
                                                            const rapidjson::Value&);
template void UsageExtractor::Rules::openai_responses_usage(UsageExtractor&,
                                                            const detail::ScannedObject&);

void UsageExtractor::Rules::openai_responses_body(UsageExtractor& x, const rapidjson::Value& root) {
  if (const rapidjson::Value* usage = object_member(root, "usage")) {
    openai_responses_usage(x, *usage);
  }
}

namespace {

EventFacts typed_event(UsageExtractor& x, std::string_view data, std::string_view type) {
  using Rules = UsageExtractor::Rules;
  EventFacts facts;
  if (ends_with(type, ".delta")) {
    if (type == "response.audio.delta") return facts;  // base64 audio, not text
    const size_t at = json::find_value(data, "\"delta\"");
    if (at != json::npos && at < data.size() && data[at] == '"') {
      size_t end = 0;
      facts.output_chars = json::string_chars(data, at, &end);
    }
    return facts;
  }
  const bool completed = type == "response.completed" || type == "response.incomplete";
  const bool failed = type == "response.failed";
  const bool error = type == "error";
  if (!completed && !failed && !error) return facts;

  detail::JsonDoc doc;
  const bool parsed = doc.parse(data);
  if (failed || error) {
    facts.error = true;
    Rules::note_error(x, parsed ? &doc.root() : nullptr);
  } else {
    facts.terminal = true;
  }
  if (!parsed) return facts;
  if (const rapidjson::Value* response = object_member(doc.root(), "response")) {
    if (const rapidjson::Value* usage = object_member(*response, "usage")) {
      Rules::openai_responses_usage(x, *usage);
      facts.carried_usage = true;
    }
  }
  return facts;
}

}  // namespace

EventFacts UsageExtractor::Rules::openai_responses_event(UsageExtractor& x, const SseEvent& event) {
  const std::string_view data = event.data;
  if (data == "[DONE]") return {};  // some SDK fixtures end so; response.completed ends it
  if (check_error_envelope(x, data)) {
    EventFacts facts;
    facts.error = true;
    return facts;
  }
  if (!event.type.empty()) return typed_event(x, data, event.type);
  // No `event:` line (the SDK's data-only fixtures): the type is inside the JSON.
  detail::JsonDoc doc;
  const std::string_view type =
      doc.parse(data) ? detail::string_member(doc.root(), "type") : std::string_view();
  return typed_event(x, data, type);
}

}  // namespace sluice::scan
