#pragma once
// Translation between the three API formats sluice speaks (OpenAI Chat Completions,
// Anthropic Messages, Gemini generateContent): pure functions over bytes, no I/O, no
// globals. The gateway calls translate_request() before dispatch when the client's
// format is not the target provider's, and feeds every response byte through
// translate_response() (whole bodies) or a StreamTranslator (event streams). Same-format
// traffic never comes here. docs/TRANSLATION.md tables every mapping and limit.
//
// Contract shared by the request side (src/translate/request_*.cc) and the response
// side (src/translate/stream_*.cc, response_*.cc).

#include <rapidjson/fwd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/route/api_flavor.h"
#include "sluice/route/error_envelope.h"

namespace sluice::translate {

using route::ApiFlavor;

// ---- requests ---------------------------------------------------------------------

struct RequestOptions {
  std::string_view model;  // the provider's model name to write into the request
  uint32_t default_max_tokens =
      4096;                         // Anthropic requires max_tokens: used when the client gave none
  bool refuse_unsupported = false;  // true: a parameter the target cannot honour is a 400
                                    // false: it is dropped and named in `dropped`
  bool stream = false;              // Gemini clients: the stream flag comes from the path
                                    // (:streamGenerateContent); ignored for other clients
};

struct RequestOut {
  bool ok = false;
  std::string body;                  // the request in the provider's format (when ok)
  bool stream = false;               // the client asked for a stream
  bool include_usage = false;        // OpenAI client: stream_options.include_usage was true
  std::vector<std::string> dropped;  // parameter names dropped (x-sluice-dropped-params)
  route::ErrorClass error = route::ErrorClass::bad_request;  // when !ok
  std::string message;  // when !ok: says what and why, for the client's envelope
};

RequestOut translate_request(ApiFlavor client, ApiFlavor provider, std::string_view body,
                             const RequestOptions& options);

// ---- responses --------------------------------------------------------------------

struct ResponseContext {
  std::string_view model;       // the model name the client sees (the alias it asked for)
  std::string_view request_id;  // seeds ids sluice must invent (chatcmpl-…, msg_…)
  uint64_t created_s = 0;       // unix seconds, for OpenAI `created`
  bool include_usage = false;   // OpenAI client stream: send the final usage chunk
  bool gemini_sse = true;       // Gemini client stream: SSE (?alt=sse) or the JSON-array form
};

struct ResponseOut {
  bool ok = false;
  std::string body;     // the whole response in the client's format
  std::string message;  // when !ok: why the provider's body could not be read
};

// Sees the provider's whole body as parsed, before it is translated: the relay reads the
// provider's usage from this tree instead of parsing the same bytes a second time.
class ParsedBody {
 public:
  virtual void on_parsed(const rapidjson::Value& root) = 0;

 protected:
  ~ParsedBody() = default;
};

// A whole (non-streamed) 2xx response body. `parsed` (may be null) is called once the
// body has parsed as a JSON object, whether or not it then translates.
ResponseOut translate_response(ApiFlavor provider, ApiFlavor client, std::string_view body,
                               const ResponseContext& context, ParsedBody* parsed = nullptr);

// A provider's error answer (any non-2xx status, body possibly not JSON) in the client's
// envelope, with the status the client should see.
struct ErrorOut {
  int status = 502;
  std::string body;
};
ErrorOut translate_error(ApiFlavor provider, ApiFlavor client, int status, std::string_view body);

// One streamed response. The provider's body bytes (de-chunked and decoded, SSE for every
// provider: Gemini is always asked with ?alt=sse) go in, in any split down to one byte at
// a time; the client's bytes come out as soon as each provider event is complete. No whole
// response is ever buffered.
class StreamTranslator {
 public:
  StreamTranslator(ApiFlavor provider, ApiFlavor client, const ResponseContext& context);
  ~StreamTranslator();
  StreamTranslator(const StreamTranslator&) = delete;
  StreamTranslator& operator=(const StreamTranslator&) = delete;

  // Appends to `out` whatever the client should receive now.
  void feed(std::string_view bytes, std::string& out);
  // The provider's body ended (clean EOF or its end event): closes the client's stream
  // (OpenAI `data: [DONE]`, Anthropic `message_stop`, Gemini JSON array `]`).
  void finish(std::string& out);
  // The stream failed after it began: the client format's error event, then the end.
  void fail(route::ErrorClass error, std::string_view message, std::string& out);
  bool finished() const;
  // The client's Content-Type ("text/event-stream", or "application/json" for the
  // Gemini JSON-array form).
  std::string_view content_type() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::translate
