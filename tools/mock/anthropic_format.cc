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
  uint64_t cached = uint64_t{r.cached_tokens} + r.cache_write_tokens;
  return r.input_tokens > cached ? static_cast<uint32_t>(r.input_tokens - cached) : 0;
}

void append_input_usage(std::string& out, const Reply& r) {
  out += "\"input_tokens\":";
  append_uint(out, uncached_input(r));
  out += ",\"cache_creation_input_tokens\":";
  append_uint(out, r.cache_write_tokens);
  out += ",\"cache_read_input_tokens\":";
  append_uint(out, r.cached_tokens);
}

// Anthropic counts thinking in output_tokens.
uint32_t output_total(const Reply& r) {
  return r.output_tokens + (r.thinking ? kThinkingTokens : 0);
}

void append_tool_id(std::string& out, uint32_t call) {
  out += "\"toolu_mock_";
  append_uint(out, call);
  out += '"';
}

// Stream events: a thinking block is start, one delta per word, the signature, stop; a
// tool_use block is start, one input_json_delta per argument piece, stop.
uint32_t thinking_events(const Reply& r) { return r.thinking ? kThinkingTokens + 3 : 0; }
constexpr uint32_t kEventsPerCall = kToolArgPieces + 2;

void append_start_usage(std::string& out, const Reply& r, uint32_t output_tokens) {
  out += "\"usage\":{";
  append_input_usage(out, r);
  out += ",\"cache_creation\":{\"ephemeral_5m_input_tokens\":";
  append_uint(out, r.cache_write_tokens);
  out += ",\"ephemeral_1h_input_tokens\":0}";
  out += ",\"output_tokens\":";
  append_uint(out, output_tokens);
  out += ",\"service_tier\":\"standard\"}";
}

std::string_view stop_reason(const Reply& r) {
  return r.truncated ? "max_tokens" : ends_in_tools(r) ? "tool_use" : "end_turn";
}

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
    out += '[';
    if (r.thinking) {
      out += "{\"type\":\"thinking\",\"thinking\":\"";
      append_full_thinking(out);
      out += "\",\"signature\":\"";
      out += kThinkingSignature;
      out += "\"},";
    }
    out += "{\"type\":\"text\",\"text\":\"";
    append_full_text(out, r.output_tokens);
    out += "\"}";
    for (uint32_t k = 0; k < r.tool_calls.size(); ++k) {
      out += ",{\"type\":\"tool_use\",\"id\":";
      append_tool_id(out, k);
      out += ",\"name\":";
      route::append_json_string(out, r.tool_calls[k]);
      out += ",\"input\":";
      append_tool_args(out, k);
      out += '}';
    }
    out += "],\"stop_reason\":\"";
    out += stop_reason(r);
    out += "\",\"stop_sequence\":null,";
    append_start_usage(out, r, output_total(r));
    out += '}';
    return out;
  }

  // message_start, the thinking block, content_block_start (text), ping.
  uint32_t prelude_events(const Reply& r) const override { return 3 + thinking_events(r); }
  // content_block_stop (text), the tool_use blocks, message_delta, message_stop.
  uint32_t epilogue_events(const Reply& r) const override {
    return 3 + static_cast<uint32_t>(r.tool_calls.size()) * kEventsPerCall;
  }

  void append_event(std::string& out, const Reply& r, uint32_t index) const override {
    uint32_t thinking = thinking_events(r);
    uint32_t text_block = r.thinking ? 1 : 0;
    uint32_t text_begin = prelude_events(r);
    uint32_t token_end = text_begin + r.output_tokens;
    uint32_t tools_begin = token_end + 1;
    uint32_t tools_end = tools_begin + static_cast<uint32_t>(r.tool_calls.size()) * kEventsPerCall;
    if (index >= text_begin && index < token_end) {
      out += "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":";
      append_uint(out, text_block);
      out += ",\"delta\":{\"type\":\"text_delta\",\"text\":\"";
      append_token_text(out, index - text_begin);
      out += "\"}}\n\n";
      return;
    }
    if (index >= 1 && index < 1 + thinking) return append_thinking_event(out, index - 1);
    if (index >= tools_begin && index < tools_end) {
      uint32_t call = (index - tools_begin) / kEventsPerCall;
      return append_tool_event(out, r, call, text_block + 1 + call,
                               (index - tools_begin) % kEventsPerCall);
    }
    uint32_t step = index == 0              ? 0
                    : index == 1 + thinking ? 1
                    : index == 2 + thinking ? 2
                    : index == token_end    ? 3
                    : index == tools_end    ? 4
                                            : 5;
    switch (step) {
      case 0:
        out += "event: message_start\ndata: {\"type\":\"message_start\",\"message\":";
        append_message_head(out, r);
        out += "[],\"stop_reason\":null,\"stop_sequence\":null,";
        // The live API reports one output token at the start.
        append_start_usage(out, r, 1);
        out += "}}\n\n";
        break;
      case 1:
        out += "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":";
        append_uint(out, text_block);
        out += ",\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
        break;
      case 2:
        out += "event: ping\ndata: {\"type\": \"ping\"}\n\n";
        break;
      case 3:
        out += "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":";
        append_uint(out, text_block);
        out += "}\n\n";
        break;
      case 4:
        out +=
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"";
        out += stop_reason(r);
        out += "\",\"stop_sequence\":null},\"usage\":{";
        append_input_usage(out, r);
        out += ",\"output_tokens\":";
        append_uint(out, output_total(r));
        out += "}}\n\n";
        break;
      default:
        out += "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
        break;
    }
  }

 private:
  // Block 0: start, the words, the signature, stop.
  static void append_thinking_event(std::string& out, uint32_t step) {
    if (step == 0) {
      out +=
          "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
          "\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n";
    } else if (step <= kThinkingTokens) {
      out +=
          "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
          "\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"";
      append_thinking_text(out, step - 1);
      out += "\"}}\n\n";
    } else if (step == kThinkingTokens + 1) {
      out +=
          "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
          "\"delta\":{\"type\":\"signature_delta\",\"signature\":\"";
      out += kThinkingSignature;
      out += "\"}}\n\n";
    } else {
      out += "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n";
    }
  }

  static void append_tool_event(std::string& out, const Reply& r, uint32_t call, uint32_t block,
                                uint32_t step) {
    if (step == 0) {
      out += "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":";
      append_uint(out, block);
      out += ",\"content_block\":{\"type\":\"tool_use\",\"id\":";
      append_tool_id(out, call);
      out += ",\"name\":";
      route::append_json_string(out, r.tool_calls[call]);
      out += ",\"input\":{}}}\n\n";
    } else if (step <= kToolArgPieces) {
      out += "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":";
      append_uint(out, block);
      out += ",\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"";
      append_tool_args_piece(out, call, step - 1, true);
      out += "\"}}\n\n";
    } else {
      out += "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":";
      append_uint(out, block);
      out += "}\n\n";
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
