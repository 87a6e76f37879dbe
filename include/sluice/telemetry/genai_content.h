#pragma once
// The conversation of one request as the OpenTelemetry GenAI semantic conventions carry
// it on a span (telemetry.capture_content, docs/TELEMETRY.md):
//   gen_ai.system_instructions  [{"type":"text","content":"..."}]
//   gen_ai.input.messages       [{"role":"user","parts":[{"type":"text","content":"..."}]}]
//   gen_ai.output.messages      [{"role":"assistant","parts":[...],"finish_reason":"stop"}]
// each a JSON string. Tool calls are parts too ({"type":"tool_call","id","name",
// "arguments"}; results {"type":"tool_call_response","id","response"}).
//
// The prompt is read from the request body as sent upstream; the completion from the
// response as it is relayed, through the usage scanner's tap: streamed text (OpenAI chat
// delta.content, Responses output_text deltas, Anthropic text_delta, Gemini parts' text)
// is appended as events pass, and a non-streaming body is read once at its end. Neither
// delays nor copies what goes to the client.
//
// Every attribute's text is capped at `max_bytes` in all: text past it is cut at a
// UTF-8 character boundary, ends with kTruncatedMark, and truncated() is set. A streamed
// answer stops growing in memory at the cap. Only bodies are read, never headers: no key
// or provider secret reaches a span.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/scan/usage.h"
#include "sluice/scan/usage_scanner.h"

namespace sluice::telemetry {

inline constexpr std::string_view kTruncatedMark = "…[truncated]";

// The longest prefix of `text` of at most `max_bytes` that ends on a UTF-8 character
// boundary (a sequence is never split; invalid bytes count as characters).
size_t utf8_prefix_length(std::string_view text, size_t max_bytes);

struct MessagePart {
  std::string type;     // "text", "tool_call", "tool_call_response"
  std::string content;  // text, or the tool call response
  std::string id, name;
  std::string arguments;        // a tool call's arguments: JSON text
  bool arguments_json = false;  // arguments is a JSON value (else a string to quote)
};

struct Message {
  std::string role;  // user, assistant, system, tool
  std::vector<MessagePart> parts;
  std::string finish_reason;  // output messages only
};

// Messages as one JSON string: the parts' text and arguments count against
// `max_bytes`; once it is spent the text in hand is cut and marked and no later part
// or message is written. Sets `truncated` when it cut.
std::string messages_json(const std::vector<Message>& messages, size_t max_bytes, bool& truncated);
// System instructions: a bare array of parts.
std::string parts_json(const std::vector<MessagePart>& parts, size_t max_bytes, bool& truncated);

// What a span carries; empty strings are left out.
struct CapturedContent {
  std::string system_instructions;
  std::string input_messages;
  std::string output_messages;
  bool truncated = false;
};

class ContentCapture final : public scan::ScanTap {
 public:
  ContentCapture(scan::ResponseApi api, size_t max_bytes) : api_(api), max_bytes_(max_bytes) {}

  // The request body (JSON, as sent upstream). Not JSON, or no messages: nothing.
  void on_request(std::string_view body);

  void on_event(const scan::SseEvent& event) override;
  void on_body(std::string_view body) override;

  // The attributes, built from what was seen. Call once, at the end.
  CapturedContent finish();

 private:
  void append_text(std::string_view text);

  scan::ResponseApi api_;
  size_t max_bytes_;
  std::vector<MessagePart> system_;
  std::vector<Message> input_;
  // Output: a non-streaming body's messages, or the streamed text assembled here.
  std::vector<Message> output_;
  std::string streamed_;
  std::string finish_reason_;
  bool streamed_any_ = false;
  bool stream_over_cap_ = false;
};

}  // namespace sluice::telemetry
