#pragma once
// The per-provider rules behind UsageExtractor, one file each:
// openai_chat_usage.cc, openai_responses_usage.cc, anthropic_usage.cc, gemini_usage.cc.
// Shared helpers (error envelopes, the type of an event) live in usage_extractor.cc.

#include <string_view>

#include "json_doc.h"
#include "scanned_object.h"
#include "sluice/scan/usage_extractor.h"

namespace sluice::scan {

struct UsageExtractor::Rules {
  // Streams: one event. Bodies: the parsed root. Usage objects: the provider's usage value.
  static EventFacts openai_chat_event(UsageExtractor& x, const SseEvent& event);
  static void openai_chat_body(UsageExtractor& x, const rapidjson::Value& root);
  // Usage objects: a parsed one (rapidjson::Value) or a scanned one
  // (detail::ScannedObject), instantiated for both in the provider's file.
  template <class Object>
  static void openai_chat_usage(UsageExtractor& x, const Object& usage);

  static EventFacts openai_responses_event(UsageExtractor& x, const SseEvent& event);
  static void openai_responses_body(UsageExtractor& x, const rapidjson::Value& root);
  template <class Object>
  static void openai_responses_usage(UsageExtractor& x, const Object& usage);

  static EventFacts anthropic_event(UsageExtractor& x, const SseEvent& event);
  static void anthropic_body(UsageExtractor& x, const rapidjson::Value& root);
  template <class Object>
  static void anthropic_usage(UsageExtractor& x, const Object& usage);

  static EventFacts gemini_event(UsageExtractor& x, const SseEvent& event);
  static void gemini_body(UsageExtractor& x, const rapidjson::Value& root);
  template <class Object>
  static void gemini_usage(UsageExtractor& x, const Object& usage);

  // Shared. An error was seen; `root` is its parsed JSON (or null when it did not parse).
  static void note_error(UsageExtractor& x, const rapidjson::Value* root);
  // `json` is an error envelope ({"error": ...} first); parses it for the type. Every
  // flavour checks event data and stray lines with it.
  static bool check_error_envelope(UsageExtractor& x, std::string_view json);
  static void set_usage(UsageExtractor& x, const Usage& usage) {
    x.usage_ = usage;
    x.usage_.found = true;
  }
};

}  // namespace sluice::scan
