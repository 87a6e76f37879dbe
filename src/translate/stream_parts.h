#pragma once
// The two halves of a StreamTranslator. A ProviderReader reads one provider event at a
// time and says what it means in the calls of a ClientWriter, which writes those calls
// in the client's format at once. The calls are the common ground of the three formats:
// a response begins, text, thinking and its signature, tool calls (start, argument
// fragments, end), a finish reason with the usage, the end, or an error. docs/
// TRANSLATION.md ("Streams") tables what each format's events become.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json.h"
#include "sluice/route/error_envelope.h"
#include "sluice/scan/sse_splitter.h"
#include "sluice/translate/translate.h"
#include "sluice/translate/vocab.h"

namespace sluice::translate::stream {

using route::ErrorClass;

// Writes the client's stream. The public calls keep the order every format needs (the
// response's opening comes before anything else; nothing after the end or an error);
// each format's writer implements the on_* hooks.
class ClientWriter {
 public:
  explicit ClientWriter(ApiFlavor client, const ResponseContext& context);
  virtual ~ClientWriter() = default;

  // The latest cumulative usage the provider reported (each report replaces the last).
  void usage(const TokenCounts& counts) { usage_ = counts; }
  // The response began: the client's opening (OpenAI role chunk, Anthropic
  // message_start) goes out now, with the usage known so far. Later calls do nothing.
  void begin(std::string& out);
  void text(std::string_view text, std::string& out);
  void thinking(std::string_view text, std::string& out);
  // Anthropic's signature of the thinking block so far (signature_delta).
  void signature(std::string_view signature, std::string& out);
  // Gemini's thoughtSignature: it belongs to the part that comes next (thought, text or
  // call) and goes out with it, or on its own at the stop when no part follows.
  void part_signature(std::string_view signature, std::string& out);
  // Anthropic's redacted_thinking block: opaque data to hand back on the next turn.
  void redacted_thinking(std::string_view data, std::string& out);
  // `call` numbers the response's tool calls from 0 in the order they start. An empty
  // `id` (Gemini often sends none) is replaced by one derived from the request id.
  void tool_start(uint32_t call, std::string_view id, std::string_view name, std::string& out);
  // A fragment of the call's arguments, JSON text cut anywhere.
  void tool_args(uint32_t call, std::string_view fragment, std::string& out);
  void tool_end(uint32_t call, std::string& out);
  // The stop sequence that ended the answer, when the provider names it (Anthropic's
  // stop_sequence, the OpenAI-compatible servers' string choices[].stop_reason).
  void stop_sequence(std::string_view sequence) { stop_sequence_ = sequence; }
  // The finish reason; the usage given so far is final.
  void stop(FinishReason reason, std::string& out);
  // The client's stream ends (after a stop, or without one when the provider gave none).
  void end(std::string& out);
  // The stream fails: the client format's error event, and nothing after it.
  void error(ErrorClass error, std::string_view message, std::string& out);

  bool closed() const { return closed_; }
  virtual std::string_view content_type() const { return "text/event-stream"; }

 protected:
  virtual void on_begin(std::string& out) = 0;
  virtual void on_text(std::string_view text, std::string& out) = 0;
  virtual void on_thinking(std::string_view text, std::string& out) = 0;
  virtual void on_signature(std::string_view signature, std::string& out) = 0;
  virtual void on_part_signature(std::string_view signature, std::string& out) = 0;
  virtual void on_redacted_thinking(std::string_view data, std::string& out) = 0;
  virtual void on_tool_start(uint32_t call, std::string_view id, std::string_view name,
                             std::string& out) = 0;
  virtual void on_tool_args(uint32_t call, std::string_view fragment, std::string& out) = 0;
  virtual void on_tool_end(uint32_t call, std::string& out) = 0;
  virtual void on_stop(FinishReason reason, std::string& out) = 0;
  virtual void on_end(bool stopped, std::string& out) = 0;
  virtual void on_error(ErrorClass error, std::string_view message, std::string& out) = 0;

  ApiFlavor client_;
  std::string model_;       // the name the client asked for
  std::string request_id_;  // seeds invented ids
  uint64_t created_s_;
  bool include_usage_;
  bool gemini_sse_;
  TokenCounts usage_;          // the latest the provider reported
  std::string stop_sequence_;  // the matched stop sequence, when the provider named it

 private:
  bool began_ = false;
  bool stopped_ = false;
  bool closed_ = false;
};

std::unique_ptr<ClientWriter> make_openai_writer(const ResponseContext& context);
std::unique_ptr<ClientWriter> make_anthropic_writer(const ResponseContext& context);
std::unique_ptr<ClientWriter> make_gemini_writer(const ResponseContext& context);

// Reads one provider's stream, event by event.
class ProviderReader {
 public:
  virtual ~ProviderReader() = default;
  // One event as the SSE splitter delivered it.
  virtual void event(const scan::SseEvent& event, ClientWriter& writer, std::string& out) = 0;
  // The provider's body ended cleanly: say what it left unsaid, then end.
  virtual void finish(ClientWriter& writer, std::string& out) = 0;
};

std::unique_ptr<ProviderReader> make_openai_reader();
std::unique_ptr<ProviderReader> make_anthropic_reader();
std::unique_ptr<ProviderReader> make_gemini_reader();

// The JSON of one event: its data, or when it has none its stray lines (where Gemini puts a
// mid-stream error). False when there is nothing to read; an event that is not JSON, or
// was cut for its size, fails the client's stream with upstream_error.
bool event_json(const scan::SseEvent& event, json::Document& doc, ClientWriter& writer,
                std::string& out);

// The error class for a provider's own word for an error (OpenAI and Anthropic
// `error.type`, Gemini `error.status`); upstream_error when it names none we know.
ErrorClass error_class_from(ApiFlavor provider, std::string_view type);

// Provider tool indices (OpenAI tool_calls[].index, Anthropic block index) to the
// response's call numbers. Few per response: a linear list.
class CallNumbers {
 public:
  // The call number of `key`, or -1 when it has none yet.
  int64_t find(uint64_t key) const;
  uint32_t add(uint64_t key);
  uint32_t count() const { return static_cast<uint32_t>(keys_.size()); }

 private:
  std::vector<uint64_t> keys_;
};

}  // namespace sluice::translate::stream
