#include "sluice/scan/usage_extractor.h"

#include "sluice/scan/json_peek.h"
#include "usage_rules.h"

namespace sluice::scan {
namespace {

constexpr size_t kMaxErrorTypeBytes = 64;
// Top-level members looked at without a full parse: a chat completion has about ten, a
// Responses object about thirty.
constexpr size_t kMaxPeekedMembers = 64;

bool has_backslash(std::string_view s) { return s.find('\\') != std::string_view::npos; }

}  // namespace

// What a look at a body's top-level members decided.
enum class BodyLook {
  usage_read,  // a plain answer; its usage (if any) read from its own member
  full_parse,  // an error envelope, an array, escaped keys, a huge object: parse it all
};

namespace {}  // namespace

std::string_view to_text(ResponseApi api) {
  switch (api) {
    case ResponseApi::openai_chat:
      return "openai_chat";
    case ResponseApi::openai_responses:
      return "openai_responses";
    case ResponseApi::anthropic:
      return "anthropic";
    case ResponseApi::gemini:
      return "gemini";
  }
  return "unknown";
}

std::string_view to_text(StreamOutcome outcome) {
  switch (outcome) {
    case StreamOutcome::complete:
      return "complete";
    case StreamOutcome::error:
      return "error";
    case StreamOutcome::cut_off:
      return "cut_off";
  }
  return "unknown";
}

EventFacts UsageExtractor::on_event(const SseEvent& event) {
  EventFacts facts;
  // Unknown lines are where Gemini puts a mid-stream error; any provider may.
  if (!event.stray.empty() && Rules::check_error_envelope(*this, event.stray)) facts.error = true;
  if (event.has_data) {
    EventFacts f;
    switch (api_) {
      case ResponseApi::openai_chat:
        f = Rules::openai_chat_event(*this, event);
        break;
      case ResponseApi::openai_responses:
        f = Rules::openai_responses_event(*this, event);
        break;
      case ResponseApi::anthropic:
        f = Rules::anthropic_event(*this, event);
        break;
      case ResponseApi::gemini:
        f = Rules::gemini_event(*this, event);
        break;
    }
    facts.carried_usage = f.carried_usage;
    facts.usage_only_chunk = f.usage_only_chunk;
    facts.error = facts.error || f.error;
    facts.terminal = f.terminal;
    facts.output_chars = f.output_chars;
  }
  saw_error_ = saw_error_ || facts.error;
  saw_terminal_ = saw_terminal_ || facts.terminal;
  output_chars_ += facts.output_chars;
  return facts;
}

bool UsageExtractor::on_body(std::string_view json) {
  // The common body is a plain answer whose usage is one small member near its end: find
  // that member and parse it alone, not the whole answer's tree. Anything else, errors
  // included, takes the full parse below.
  json::Member members[kMaxPeekedMembers];
  const size_t n = json::object_members(json, members, kMaxPeekedMembers);
  if (n != json::kNotAnObject && peek_body({members, n}) == BodyLook::usage_read) {
    saw_terminal_ = true;
    return true;
  }
  return on_body_full_parse(json);
}

BodyLook UsageExtractor::peek_body(std::span<const json::Member> members) {
  const std::string_view usage_key =
      api_ == ResponseApi::gemini ? "\"usageMetadata\"" : "\"usage\"";
  const json::Member* usage = nullptr;
  bool saw_error = false;
  bool saw_type = false;
  for (const json::Member& m : members) {
    // A parser decodes escapes in keys before comparing them; this look does not.
    if (has_backslash(m.key)) return BodyLook::full_parse;
    // The first of duplicate keys counts, as with the parser's member lookup.
    if (m.key == "\"error\"" && !saw_error) {
      saw_error = true;
      if (m.value != "null") return BodyLook::full_parse;
    } else if (m.key == "\"type\"" && !saw_type) {
      saw_type = true;
      if (m.value == "\"error\"" || has_backslash(m.value)) return BodyLook::full_parse;
    } else if (m.key == usage_key && usage == nullptr) {
      usage = &m;
    }
  }
  // A usage member that is not an object is no usage, as for the parsed body. One that
  // does not parse means the body is not JSON after all: let the full parse say so.
  if (usage != nullptr && usage->value.front() == '{' && !on_usage_object(usage->value)) {
    return BodyLook::full_parse;
  }
  return BodyLook::usage_read;
}

bool UsageExtractor::on_body_full_parse(std::string_view json) {
  detail::JsonDoc doc;
  if (!doc.parse(json)) return false;
  on_parsed_body(doc.root());
  return true;
}

void UsageExtractor::on_parsed_body(const rapidjson::Value& root) {
  if (api_ == ResponseApi::gemini && root.IsArray()) {
    // streamGenerateContent without alt=sse: a JSON array of the stream's chunks.
    for (const rapidjson::Value& chunk : root.GetArray()) {
      const rapidjson::Value* err = detail::member(chunk, "error");
      if (err != nullptr && !err->IsNull()) {
        Rules::note_error(*this, &chunk);
      } else {
        Rules::gemini_body(*this, chunk);
      }
    }
    saw_terminal_ = !saw_error_;
    return;
  }
  if (!root.IsObject()) return;
  // OpenAI and Gemini error envelopes; a Responses body holds "error": null when fine.
  const rapidjson::Value* err = detail::member(root, "error");
  if ((err != nullptr && !err->IsNull()) || detail::string_member(root, "type") == "error") {
    Rules::note_error(*this, &root);
    return;
  }
  switch (api_) {
    case ResponseApi::openai_chat:
      Rules::openai_chat_body(*this, root);
      break;
    case ResponseApi::openai_responses:
      Rules::openai_responses_body(*this, root);
      break;
    case ResponseApi::anthropic:
      Rules::anthropic_body(*this, root);
      break;
    case ResponseApi::gemini:
      Rules::gemini_body(*this, root);
      break;
  }
  saw_terminal_ = true;
}

template <class Object>
void UsageExtractor::read_usage(const Object& usage) {
  switch (api_) {
    case ResponseApi::openai_chat:
      Rules::openai_chat_usage(*this, usage);
      break;
    case ResponseApi::openai_responses:
      Rules::openai_responses_usage(*this, usage);
      break;
    case ResponseApi::anthropic:
      Rules::anthropic_usage(*this, usage);
      break;
    case ResponseApi::gemini:
      Rules::gemini_usage(*this, usage);
      break;
  }
}

bool UsageExtractor::on_usage_object(std::string_view json) {
  // Nearly every usage object is integers under plain keys: the scanner reads those in
  // one pass; the parser reads whatever else there is.
  detail::ScannedUsage scanned;
  if (scanned.read(json)) {
    read_usage(scanned.root());
    return true;
  }
  return on_usage_object_parsed(json);
}

bool UsageExtractor::on_usage_object_parsed(std::string_view json) {
  detail::JsonDoc doc;
  if (!doc.parse(json) || !doc.root().IsObject()) return false;
  read_usage(doc.root());
  return true;
}

void UsageExtractor::Rules::note_error(UsageExtractor& x, const rapidjson::Value* root) {
  x.saw_error_ = true;
  if (!x.error_type_.empty()) return;  // the first error says most
  std::string_view label;
  if (root != nullptr) {
    if (const rapidjson::Value* err = detail::object_member(*root, "error")) {
      label = detail::string_member(*err, "type");                       // OpenAI, Anthropic
      if (label.empty()) label = detail::string_member(*err, "status");  // Gemini
      if (label.empty()) label = detail::string_member(*err, "code");
    }
    if (label.empty()) label = detail::string_member(*root, "code");  // Responses `error` event
    if (label.empty()) {
      // Responses `response.failed`: response.error.code
      if (const rapidjson::Value* resp = detail::object_member(*root, "response")) {
        if (const rapidjson::Value* err = detail::object_member(*resp, "error")) {
          label = detail::string_member(*err, "code");
        }
      }
    }
  }
  if (label.empty()) label = "error";
  x.error_type_.assign(label.substr(0, kMaxErrorTypeBytes));
}

bool UsageExtractor::Rules::check_error_envelope(UsageExtractor& x, std::string_view json) {
  if (!json::object_starts_with_key(json, "\"error\"")) return false;
  detail::JsonDoc doc;
  note_error(x, doc.parse(json) ? &doc.root() : nullptr);
  return true;
}

}  // namespace sluice::scan
