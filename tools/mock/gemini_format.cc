// Gemini generateContent / streamGenerateContent. Shapes follow
// gemini_generate_content_nonstream.json and gemini_stream_thoughts_usage_every_chunk_crlf.sse:
// with alt=sse every chunk is `data: {json}\r\n\r\n` (CRLF, unlike OpenAI and Anthropic)
// and carries the cumulative usageMetadata so far; the last chunk has the finishReason.
// Without alt=sse Gemini streams one JSON array instead, which the mock also does.

#include <algorithm>

#include "sluice/route/json_string.h"
#include "wire_format.h"

namespace sluice::mock {
namespace {

void append_usage_metadata(std::string& out, const Reply& r, uint32_t output_tokens) {
  // Gemini counts thoughts apart from the candidates, but in the total.
  uint32_t thoughts = r.thinking ? kThinkingTokens : 0;
  out += "\"usageMetadata\":{\"promptTokenCount\":";
  append_uint(out, r.input_tokens);
  out += ",\"candidatesTokenCount\":";
  append_uint(out, output_tokens);
  out += ",\"totalTokenCount\":";
  append_uint(out, uint64_t{r.input_tokens} + output_tokens + thoughts);
  if (r.cached_tokens > 0) {
    out += ",\"cachedContentTokenCount\":";
    append_uint(out, r.cached_tokens);
  }
  if (thoughts > 0) {
    out += ",\"thoughtsTokenCount\":";
    append_uint(out, thoughts);
  }
  out += ",\"promptTokensDetails\":[{\"modality\":\"TEXT\",\"tokenCount\":";
  append_uint(out, r.input_tokens);
  out += "}]}";
}

std::string_view finish_reason(const Reply& r) { return r.truncated ? "MAX_TOKENS" : "STOP"; }

void append_thought_part(std::string& out) {
  out += "{\"text\":\"";
  append_full_thinking(out);
  out += "\",\"thought\":true,\"thoughtSignature\":\"";
  out += kThinkingSignature;
  out += "\"}";
}

void append_call_part(std::string& out, const Reply& r, uint32_t call) {
  out += "{\"functionCall\":{\"name\":";
  route::append_json_string(out, r.tool_calls[call]);
  out += ",\"args\":";
  append_tool_args(out, call);
  out += "}}";
}

// One GenerateContentResponse whose parts `write_parts` writes.
template <typename WriteParts>
void append_response(std::string& out, const Reply& r, WriteParts write_parts, bool last,
                     uint32_t output_so_far) {
  out += "{\"candidates\":[{\"content\":{\"parts\":[";
  write_parts(out);
  out += "],\"role\":\"model\"},";
  if (last) {
    out += "\"finishReason\":\"";
    out += finish_reason(r);
    out += "\",";
  }
  out += "\"index\":0}],";
  append_usage_metadata(out, r, output_so_far);
  out += ",\"modelVersion\":";
  out += r.model_json;
  out += ",\"responseId\":\"";
  out += r.id;
  out += "\"}";
}

class GenerateFormat final : public WireFormat {
 public:
  std::string body(const Reply& r) const override {
    std::string out;
    out.reserve(384 + static_cast<size_t>(r.output_tokens) * 8);
    append_response(
        out, r,
        [&r](std::string& o) {
          if (r.thinking) {
            append_thought_part(o);
            o += ',';
          }
          o += "{\"text\":\"";
          append_full_text(o, r.output_tokens);
          o += "\"}";
          for (uint32_t k = 0; k < r.tool_calls.size(); ++k) {
            o += ',';
            append_call_part(o, r, k);
          }
        },
        true, r.output_tokens);
    return out;
  }

  // The thought summary comes first; each function call whole in a chunk of its own.
  uint32_t prelude_events(const Reply& r) const override { return r.thinking ? 1 : 0; }
  uint32_t epilogue_events(const Reply& r) const override {
    return static_cast<uint32_t>(r.tool_calls.size());
  }

  void append_event(std::string& out, const Reply& r, uint32_t index) const override {
    uint32_t text_begin = prelude_events(r);
    uint32_t token_end = text_begin + r.output_tokens;
    bool last = index + 1 == event_count(r);
    if (r.json_array) {
      out += index == 0 ? "[" : ",\r\n";
    } else {
      out += "data: ";
    }
    uint32_t so_far = index < text_begin ? 0 : std::min(index - text_begin + 1, r.output_tokens);
    append_response(
        out, r,
        [&](std::string& o) {
          if (index < text_begin) {
            append_thought_part(o);
          } else if (index < token_end) {
            o += "{\"text\":\"";
            append_token_text(o, index - text_begin);
            o += "\"}";
          } else {
            append_call_part(o, r, index - token_end);
          }
        },
        last, so_far);
    if (r.json_array) {
      if (last) out += "\n]";
    } else {
      out += "\r\n\r\n";
    }
  }

  std::string_view stream_content_type(const Reply& r) const override {
    return r.json_array ? "application/json; charset=UTF-8" : "text/event-stream";
  }
};

struct GeminiErrorText {
  std::string_view status;
  std::string_view message;
};

GeminiErrorText gemini_error_text(int status) {
  switch (status) {
    case 400:
      return {"INVALID_ARGUMENT", "Invalid JSON payload received (injected by sluice-mock)."};
    case 401:
      return {"UNAUTHENTICATED", "API key not valid. Please pass a valid API key."};
    case 403:
      return {"PERMISSION_DENIED", "Permission denied (injected by sluice-mock)."};
    case 404:
      return {"NOT_FOUND", "Requested entity was not found."};
    case 409:
      return {"ABORTED", "Aborted (injected by sluice-mock)."};
    case 429:
      return {"RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."};
    case 500:
      return {"INTERNAL",
              "An internal error has occurred. Please retry or report in "
              "https://developers.generativeai.google/guide/troubleshooting"};
    case 501:
      return {"NOT_IMPLEMENTED", "Method not implemented."};
    case 503:
      return {"UNAVAILABLE", "The model is overloaded. Please try again later."};
    case 504:
      return {"DEADLINE_EXCEEDED", "Deadline expired before operation could complete."};
    default:
      return {status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION", "Error injected by sluice-mock."};
  }
}

}  // namespace

// Pretty-printed with two spaces, as Gemini sends its errors (gemini_404_on_stream_endpoint.http).
ErrorReply gemini_error(int status, std::string_view code, std::string_view message,
                        int64_t retry_after_s) {
  GeminiErrorText t = gemini_error_text(status);
  ErrorReply e;
  e.body += "{\n  \"error\": {\n    \"code\": ";
  append_uint(e.body, static_cast<uint64_t>(status));
  e.body += ",\n    \"message\": ";
  route::append_json_string(e.body, message.empty() ? t.message : message);
  e.body += ",\n    \"status\": ";
  route::append_json_string(e.body, code.empty() ? t.status : code);
  if (retry_after_s >= 0) {
    e.body +=
        ",\n    \"details\": [\n      {\n        \"@type\": "
        "\"type.googleapis.com/google.rpc.RetryInfo\",\n        \"retryDelay\": \"";
    append_uint(e.body, static_cast<uint64_t>(retry_after_s));
    e.body += "s\"\n      }\n    ]";
  }
  e.body += "\n  }\n}\n";
  return e;
}

std::string gemini_model(std::string_view id) {
  std::string name = "models/";
  name += id;
  std::string out = "{\"name\":";
  route::append_json_string(out, name);
  out += ",\"version\":\"001\",\"displayName\":";
  route::append_json_string(out, id);
  out +=
      ",\"inputTokenLimit\":1048576,\"outputTokenLimit\":8192,\"supportedGenerationMethods\":"
      "[\"generateContent\",\"streamGenerateContent\",\"countTokens\"]}";
  return out;
}

std::string gemini_model_list() {
  return "{\"models\":[" + gemini_model("gemini-2.0-flash") + "," +
         gemini_model("gemini-2.5-flash") + "]}";
}

const WireFormat& gemini_generate_format() {
  static const GenerateFormat f;
  return f;
}

}  // namespace sluice::mock
