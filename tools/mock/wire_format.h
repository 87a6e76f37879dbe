#pragma once
// What the mock says, in the words of each provider: response bodies, stream events and
// error envelopes for OpenAI, Anthropic and Gemini. A WireFormat is stateless; everything
// a response depends on is in the Reply, so a stream can produce its events one at a time
// from a timer without keeping any of them.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::mock {

// Which error envelope and rate-limit headers a request gets.
enum class Dialect : uint8_t { openai, anthropic, gemini };

// Everything a generated response depends on.
struct Reply {
  std::string model_json;  // the request's model, already a quoted JSON string
  std::string id;          // unique per process ("chatcmpl-mock0-1f")
  uint64_t created = 0;    // Unix seconds
  uint32_t input_tokens = 1;
  uint32_t cached_tokens = 0;  // part of input_tokens reported as cache reads
  uint32_t output_tokens = 16;
  bool truncated = false;      // output stopped by the request's own max tokens
  bool include_usage = false;  // OpenAI streams: stream_options.include_usage
  bool json_array = false;     // Gemini stream without alt=sse: a JSON array, not SSE
  bool base64 = false;         // embeddings: encoding_format "base64"
  uint32_t items = 1;          // embeddings: how many inputs
  uint32_t dimensions = 16;    // embeddings: vector length
  // Chat, Messages and Gemini answers only (docs/MOCK.md, "Tool calls and thinking"):
  std::vector<std::string> tool_calls;  // one function call per name, after the text
  bool thinking = false;                // a reasoning block (with signature) before the text
  uint32_t cache_write_tokens = 0;      // Anthropic cache_creation_input_tokens
};

// A tool call's arguments: {"city":"Paris","n":K} for call K, streamed in
// kToolArgPieces pieces that split keys and values apart.
inline constexpr uint32_t kToolArgPieces = 3;
void append_tool_args(std::string& out, uint32_t call);  // raw JSON
void append_tool_args_piece(std::string& out, uint32_t call, uint32_t piece,
                            bool escaped);  // escaped: for inside a JSON string
void append_tool_args_escaped(std::string& out, uint32_t call);
// The reasoning: kThinkingTokens words "think0 think1", one per stream delta, signed
// with kThinkingSignature.
inline constexpr uint32_t kThinkingTokens = 2;
inline constexpr std::string_view kThinkingSignature = "c2lnX21vY2tfdGhpbmtpbmc=";
void append_thinking_text(std::string& out, uint32_t index);
void append_full_thinking(std::string& out);
// "finish" reasons when the answer ends in tool calls.
inline bool ends_in_tools(const Reply& r) { return !r.tool_calls.empty() && !r.truncated; }

// A stream is `prelude` events, one event per output token, then `epilogue` events. The
// prelude goes out with the first token (after the time to first token); the epilogue
// right after the last token.
class WireFormat {
 public:
  virtual ~WireFormat() = default;
  // The non-streaming JSON body.
  virtual std::string body(const Reply& r) const = 0;
  virtual uint32_t prelude_events(const Reply& r) const = 0;
  virtual uint32_t epilogue_events(const Reply& r) const = 0;
  // Appends stream event `index` (0-based over prelude, tokens, epilogue) with its SSE
  // framing, as the provider frames it.
  virtual void append_event(std::string& out, const Reply& r, uint32_t index) const = 0;
  virtual std::string_view stream_content_type(const Reply&) const {
    return "text/event-stream; charset=utf-8";
  }
  uint32_t event_count(const Reply& r) const {
    return prelude_events(r) + r.output_tokens + epilogue_events(r);
  }
};

const WireFormat& openai_chat_format();
const WireFormat& openai_completions_format();
const WireFormat& openai_responses_format();
const WireFormat& openai_embeddings_format();
const WireFormat& anthropic_messages_format();
const WireFormat& gemini_generate_format();

// An error response in a provider's own envelope.
struct ErrorReply {
  std::string body;
  std::string headers;  // extra raw "Name: value\r\n" lines the provider sends with it
};

// `code` overrides the provider's error code (OpenAI `error.code`, Anthropic
// `error.type`, Gemini `error.status`); `message` overrides the text. Empty: the
// provider's usual ones for `status`; `type` likewise overrides OpenAI's `error.type`.
ErrorReply openai_error(int status, std::string_view code, std::string_view message,
                        std::string_view type = {});
// `request_id` goes in the body; the caller sends the same in a `request-id` header.
ErrorReply anthropic_error(int status, std::string_view code, std::string_view message,
                           std::string_view request_id = "req_sluice_mock");
// `retry_after_s` >= 0 adds a google.rpc.RetryInfo detail, as Gemini sends with 429.
ErrorReply gemini_error(int status, std::string_view code, std::string_view message,
                        int64_t retry_after_s = -1);
ErrorReply error_reply(Dialect d, int status, std::string_view code = {},
                       std::string_view message = {},
                       std::string_view request_id = "req_sluice_mock");

// Model lists: GET /v1/models (OpenAI or Anthropic) and GET /v1beta/models (Gemini).
std::string openai_model_list(uint64_t created);
std::string openai_model(std::string_view id, uint64_t created);
std::string anthropic_model_list();
std::string gemini_model_list();
std::string gemini_model(std::string_view id);

// ---- shared pieces of text ----------------------------------------------------------------

// The generated text is words "tok0 tok1 tok2 ...", one token per word.
void append_token_text(std::string& out, uint32_t index);
void append_full_text(std::string& out, uint32_t tokens);
void append_uint(std::string& out, uint64_t v);
// One SSE event as `data: {json}\n\n` (OpenAI), with an `event: name\n` line first when
// `name` is not empty (Anthropic, OpenAI Responses).
void append_sse(std::string& out, std::string_view name, std::string_view data);

}  // namespace sluice::mock
