// Anthropic Messages API. Shapes follow anthropic_messages_nonstream.json and the live
// stream anthropic_messages_stream_text_cache_fields.sse: `event: X\ndata: {json}\n\n`,
// input and cache tokens in message_start, a ping, one text delta per token, and one
// message_delta whose usage is cumulative (the final count, not an increment).
// Anthropic's input_tokens excludes cache reads, so the reported input_tokens is the
// prompt minus Reply::cached_tokens.

#include "sluice/route/json_string.h"
#include "wire_format.h"

namespace sluice::mock {
namespace {

uint32_t uncached_input(const Reply& r) {
  return r.input_tokens > r.cached_tokens ? r.input_tokens - r.cached_tokens : 0;
}

void append_input_usage(std::string& out, const Reply& r) {
  out += "\"input_tokens\":";
  append_uint(out, uncached_input(r));
  out += ",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":";
  append_uint(out, r.cached_tokens);
}

void append_start_usage(std::string& out, const Reply& r, uint32_t output_tokens) {
  out += "\"usage\":{";
  append_input_usage(out, r);
  out += ",\"cache_creation\":{\"ephemeral_5m_input_tokens\":0,\"ephemeral_1h_input_tokens\":0}";
  out += ",\"output_tokens\":";
  append_uint(out, output_tokens);
  out += ",\"service_tier\":\"standard\"}";
}

std::string_view stop_reason(const Reply& r) { return r.truncated ? "max_tokens" : "end_turn"; }

void append_message_head(std::string& out, const Reply& r) {
  out += "{\"model\":";
  out += r.model_json;
  out += ",\"id\":\"msg_";
  out += r.id;
  out += "\",\"type\":\"message\",\"role\":\"assistant\",\"content\":";
}

class MessagesFormat final : public WireFormat {
 public:
  std::string body(const Reply& r) const override {
    std::string out;
    out.reserve(512 + static_cast<size_t>(r.output_tokens) * 8);
    append_message_head(out, r);
    out += "[{\"type\":\"text\",\"text\":\"";
    append_full_text(out, r.output_tokens);
    out += "\"}],\"stop_reason\":\"";
    out += stop_reason(r);
    out += "\",\"stop_sequence\":null,";
    append_start_usage(out, r, r.output_tokens);
    out += '}';
    return out;
  }

  // message_start, content_block_start, ping.
  uint32_t prelude_events(const Reply&) const override { return 3; }
  // content_block_stop, message_delta, message_stop.
  uint32_t epilogue_events(const Reply&) const override { return 3; }

  void append_event(std::string& out, const Reply& r, uint32_t index) const override {
    uint32_t token_end = 3 + r.output_tokens;
    if (index >= 3 && index < token_end) {
      out +=
          "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
          "\"delta\":{\"type\":\"text_delta\",\"text\":\"";
      append_token_text(out, index - 3);
      out += "\"}}\n\n";
      return;
    }
    switch (index < 3 ? index : index - token_end + 3) {
      case 0:
        out += "event: message_start\ndata: {\"type\":\"message_start\",\"message\":";
        append_message_head(out, r);
        out += "[],\"stop_reason\":null,\"stop_sequence\":null,";
        // The live API reports one output token at the start.
        append_start_usage(out, r, 1);
        out += "}}\n\n";
        break;
      case 1:
        out +=
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
            "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
        break;
      case 2:
        out += "event: ping\ndata: {\"type\": \"ping\"}\n\n";
        break;
      case 3:
        out += "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n";
        break;
      case 4:
        out +=
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"";
        out += stop_reason(r);
        out += "\",\"stop_sequence\":null},\"usage\":{";
        append_input_usage(out, r);
        out += ",\"output_tokens\":";
        append_uint(out, r.output_tokens);
        out += "}}\n\n";
        break;
      default:
        out += "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
        break;
    }
  }
};

struct AnthropicErrorText {
  std::string_view type;
  std::string_view message;
};

AnthropicErrorText anthropic_error_text(int status) {
  switch (status) {
    case 400:
      return {"invalid_request_error", "Invalid request (injected by sluice-mock)."};
    case 401:
      return {"authentication_error", "invalid x-api-key"};
    case 403:
      return {"permission_error",
              "Your API key does not have permission to use the specified resource."};
    case 404:
      return {"not_found_error", "The requested resource could not be found."};
    case 413:
      return {"request_too_large", "Request exceeds the maximum allowed number of bytes."};
    case 429:
      return {
          "rate_limit_error",
          "This request would exceed your organization's rate limit (injected by sluice-mock)."};
    case 500:
      return {"api_error", "Internal server error"};
    case 529:
      return {"overloaded_error", "Overloaded"};
    default:
      return {status >= 500 ? "api_error" : "invalid_request_error",
              "Error injected by sluice-mock."};
  }
}

}  // namespace

ErrorReply anthropic_error(int status, std::string_view code, std::string_view message,
                           std::string_view request_id) {
  AnthropicErrorText t = anthropic_error_text(status);
  ErrorReply e;
  e.body += "{\"type\":\"error\",\"error\":{\"type\":";
  route::append_json_string(e.body, code.empty() ? t.type : code);
  e.body += ",\"message\":";
  route::append_json_string(e.body, message.empty() ? t.message : message);
  e.body += "},\"request_id\":";
  route::append_json_string(e.body, request_id);
  e.body += '}';
  // The SDKs retry when this says so, whatever the status (anthropic_429_rate_limit.http).
  bool retry = status == 408 || status == 409 || status == 429 || status >= 500;
  e.headers = retry ? "x-should-retry: true\r\n" : "x-should-retry: false\r\n";
  return e;
}

std::string anthropic_model_list() {
  return "{\"data\":["
         "{\"type\":\"model\",\"id\":\"claude-sonnet-4-5-20250929\",\"display_name\":\"Claude "
         "Sonnet 4.5\",\"created_at\":\"2025-09-29T00:00:00Z\"},"
         "{\"type\":\"model\",\"id\":\"claude-haiku-4-5-20251001\",\"display_name\":\"Claude "
         "Haiku 4.5\",\"created_at\":\"2025-10-01T00:00:00Z\"}],"
         "\"has_more\":false,\"first_id\":\"claude-sonnet-4-5-20250929\","
         "\"last_id\":\"claude-haiku-4-5-20251001\"}";
}

const WireFormat& anthropic_messages_format() {
  static const MessagesFormat f;
  return f;
}

}  // namespace sluice::mock
