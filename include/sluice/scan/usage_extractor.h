#pragma once
// Usage, errors and output size read from a provider's response, one SSE event at a time
// (streams) or from the whole body (non-streaming JSON). One extractor per response.
//
// Most events carry nothing but text, so an event is parsed (rapidjson) only when a cheap
// look shows it can carry usage or an error: its SSE type (Anthropic, Responses) or a
// `"usage"` / `"usageMetadata"` key whose value is an object. The rules per provider are
// those of the fixtures' README; each lives in its own file (src/scan/*_usage.cc).
//
// Output characters are a rough count for estimating output tokens when a stream is cut
// before usage arrives: characters of the text the events add (OpenAI chat
// `delta.content`, `reasoning_content`, `refusal`, tool-call `arguments`, or a completion's
// `text`; Responses string `delta`s except audio; Anthropic `text_delta.text`,
// `thinking_delta.thinking`, `input_json_delta.partial_json`; Gemini `parts[].text`).
// An escape or a UTF-8 sequence counts one; JSON overhead counts nothing.

#include <rapidjson/fwd.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sluice/scan/json_peek.h"
#include "sluice/scan/sse_splitter.h"
#include "sluice/scan/usage.h"

namespace sluice::scan {

enum class BodyLook;

// What one event told the extractor.
struct EventFacts {
  bool carried_usage = false;     // it set or updated usage()
  bool usage_only_chunk = false;  // OpenAI chat: "choices":[] with usage, the chunk the gateway
                                  // asked for (include_usage) and hides from a client that did not
  bool error = false;             // a provider error (error event, error envelope)
  bool terminal = false;          // the provider's normal end marker
  uint64_t output_chars = 0;      // output text characters this event relayed
};

class UsageExtractor {
 public:
  explicit UsageExtractor(ResponseApi api) : api_(api) {}

  // A streamed event, in order.
  EventFacts on_event(const SseEvent& event);

  // A complete non-streaming body. Returns false when it is not JSON (e.g. cut off).
  // Gemini's JSON-array stream (streamGenerateContent without alt=sse) is accepted too.
  bool on_body(std::string_view json);
  // The same by a parse of the whole body into a tree: what on_body falls back to, and
  // the reference tests and the fuzzer hold on_body's cheaper look to.
  bool on_body_full_parse(std::string_view json);
  // A complete body someone else already parsed (the translator of a translated answer):
  // the same rules as on_body_full_parse, on that tree, with no second parse.
  void on_parsed_body(const rapidjson::Value& root);

  // A usage object alone (the provider's `usage` / `usageMetadata` value), for bodies too
  // large to keep whole. Returns false when it is not a JSON object.
  bool on_usage_object(std::string_view json);
  // The same by a parse into a tree, always: the reference the scanner is held to.
  bool on_usage_object_parsed(std::string_view json);

  ResponseApi api() const { return api_; }
  const Usage& usage() const { return usage_; }
  bool saw_error() const { return saw_error_; }
  bool saw_terminal() const { return saw_terminal_; }
  // The provider's error type or status ("overloaded_error", "server_error", "INTERNAL"),
  // or "error" when it gave none; empty while no error was seen.
  std::string_view error_type() const { return error_type_; }
  uint64_t output_chars() const { return output_chars_; }

  // Provider rules, in src/scan/<provider>_usage.cc; they write the members below.
  struct Rules;

 private:
  friend struct Rules;

  BodyLook peek_body(std::span<const json::Member> members);
  // The provider's rules on its usage object, parsed or scanned.
  template <class Object>
  void read_usage(const Object& usage);

  ResponseApi api_;
  Usage usage_;
  // Anthropic's counts as it sends them: message_start sets all, message_delta overwrites
  // those it carries (they are cumulative), so usage_ is recomputed from these.
  uint64_t anthropic_input_ = 0;
  uint64_t anthropic_cache_creation_ = 0;
  uint64_t anthropic_cache_read_ = 0;
  uint64_t anthropic_output_ = 0;
  bool saw_error_ = false;
  bool saw_terminal_ = false;
  uint64_t output_chars_ = 0;
  std::string error_type_;
};

}  // namespace sluice::scan
