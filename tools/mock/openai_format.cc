// OpenAI wire format: Chat Completions, legacy Completions, Embeddings, the model list
// and the error envelope. Shapes follow the live recordings in the shared fixtures
// (openai_chat_nonstream.json, openai_chat_stream_include_usage.sse): a stream is
// `data: {json}\n\n` events ending with `data: [DONE]`, and the usage-only chunk
// (`"choices":[]`) comes just before [DONE] only when the request asked for it.

#include <iterator>

#include "sluice/route/json_string.h"
#include "wire_format.h"

namespace sluice::mock {
namespace {

constexpr std::string_view kFingerprint = "fp_mock";

void append_usage(std::string& out, const Reply& r) {
  out += "\"usage\":{\"prompt_tokens\":";
  append_uint(out, r.input_tokens);
  // Reasoning tokens are part of OpenAI's completion_tokens.
  uint32_t reasoning = r.thinking ? kThinkingTokens : 0;
  out += ",\"completion_tokens\":";
  append_uint(out, uint64_t{r.output_tokens} + reasoning);
  out += ",\"total_tokens\":";
  append_uint(out, uint64_t{r.input_tokens} + r.output_tokens + reasoning);
  out += ",\"prompt_tokens_details\":{\"cached_tokens\":";
  append_uint(out, r.cached_tokens);
  out += ",\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":";
  append_uint(out, reasoning);
  out += ",\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}";
}

std::string_view finish_reason(const Reply& r) {
  return r.truncated ? "length" : ends_in_tools(r) ? "tool_calls" : "stop";
}

void append_call_id(std::string& out, uint32_t call) {
  out += "\"call_mock_";
  append_uint(out, call);
  out += '"';
}

// Stream events per tool call: id and name, then the argument pieces.
constexpr uint32_t kEventsPerCall = 1 + kToolArgPieces;

uint32_t thinking_events(const Reply& r) { return r.thinking ? kThinkingTokens : 0; }

// ---- Chat Completions -------------------------------------------------------------------

class ChatFormat final : public WireFormat {
 public:
  std::string body(const Reply& r) const override {
    std::string out;
    out.reserve(512 + static_cast<size_t>(r.output_tokens) * 8);
    out += "{\"id\":\"";
    out += r.id;
    out += "\",\"object\":\"chat.completion\",\"created\":";
    append_uint(out, r.created);
    out += ",\"model\":";
    out += r.model_json;
    out += ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"";
    append_full_text(out, r.output_tokens);
    out += '"';
    if (r.thinking) {  // as OpenAI-compatible reasoning servers (vLLM, DeepSeek) send it
      out += ",\"reasoning_content\":\"";
      append_full_thinking(out);
      out += '"';
    }
    if (!r.tool_calls.empty()) {
      out += ",\"tool_calls\":[";
      for (uint32_t k = 0; k < r.tool_calls.size(); ++k) {
        if (k > 0) out += ',';
        out += "{\"id\":";
        append_call_id(out, k);
        out += ",\"type\":\"function\",\"function\":{\"name\":";
        route::append_json_string(out, r.tool_calls[k]);
        out += ",\"arguments\":\"";
        append_tool_args_escaped(out, k);
        out += "\"}}";
      }
      out += ']';
    }
    out += ",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"";
    out += finish_reason(r);
    out += "\"}],";
    append_usage(out, r);
    out += ",\"service_tier\":\"default\",\"system_fingerprint\":\"";
    out += kFingerprint;
    out += "\"}";
    return out;
  }

  // The role chunk, then the reasoning deltas.
  uint32_t prelude_events(const Reply& r) const override { return 1 + thinking_events(r); }
  // Tool call deltas, the finish chunk, the usage chunk when asked for, [DONE].
  uint32_t epilogue_events(const Reply& r) const override {
    return static_cast<uint32_t>(r.tool_calls.size()) * kEventsPerCall + (r.include_usage ? 3 : 2);
  }

  void append_event(std::string& out, const Reply& r, uint32_t index) const override {
    uint32_t text_begin = prelude_events(r);
    uint32_t token_end = text_begin + r.output_tokens;
    uint32_t tools_end = token_end + static_cast<uint32_t>(r.tool_calls.size()) * kEventsPerCall;
    if (index + 1 == event_count(r)) {
      out += "data: [DONE]\n\n";
      return;
    }
    append_chunk_start(out, r);
    if (index == 0) {
      out +=
          "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
          "\"logprobs\":null,\"finish_reason\":null}]}\n\n";
    } else if (index < text_begin) {
      out += "[{\"index\":0,\"delta\":{\"reasoning_content\":\"";
      append_thinking_text(out, index - 1);
      out += "\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
    } else if (index < token_end) {
      out += "[{\"index\":0,\"delta\":{\"content\":\"";
      append_token_text(out, index - text_begin);
      out += "\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
    } else if (index < tools_end) {
      uint32_t call = (index - token_end) / kEventsPerCall;
      uint32_t step = (index - token_end) % kEventsPerCall;
      out += "[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":";
      append_uint(out, call);
      if (step == 0) {
        out += ",\"id\":";
        append_call_id(out, call);
        out += ",\"type\":\"function\",\"function\":{\"name\":";
        route::append_json_string(out, r.tool_calls[call]);
        out += ",\"arguments\":\"\"}";
      } else {
        out += ",\"function\":{\"arguments\":\"";
        append_tool_args_piece(out, call, step - 1, true);
        out += "\"}";
      }
      out += "}]},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
    } else if (index == tools_end) {
      out += "[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"";
      out += finish_reason(r);
      out += "\"}]}\n\n";
    } else {
      out += "[],";
      append_usage(out, r);
      out += "}\n\n";
    }
  }

 private:
  // Everything of a chunk up to the value of "choices".
  static void append_chunk_start(std::string& out, const Reply& r) {
    out += "data: {\"id\":\"";
    out += r.id;
    out += "\",\"object\":\"chat.completion.chunk\",\"created\":";
    append_uint(out, r.created);
    out += ",\"model\":";
    out += r.model_json;
    out += ",\"system_fingerprint\":\"";
    out += kFingerprint;
    out += "\",\"choices\":";
  }
};

// ---- legacy Completions -----------------------------------------------------------------

class CompletionsFormat final : public WireFormat {
 public:
  std::string body(const Reply& r) const override {
    std::string out;
    out.reserve(384 + static_cast<size_t>(r.output_tokens) * 8);
    out += "{\"id\":\"";
    out += r.id;
    out += "\",\"object\":\"text_completion\",\"created\":";
    append_uint(out, r.created);
    out += ",\"model\":";
    out += r.model_json;
    out += ",\"choices\":[{\"text\":\"";
    append_full_text(out, r.output_tokens);
    out += "\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"";
    out += finish_reason(r);
    out += "\"}],";
    append_usage(out, r);
    out += ",\"system_fingerprint\":\"";
    out += kFingerprint;
    out += "\"}";
    return out;
  }

  uint32_t prelude_events(const Reply&) const override { return 0; }
  uint32_t epilogue_events(const Reply& r) const override { return r.include_usage ? 3 : 2; }

  void append_event(std::string& out, const Reply& r, uint32_t index) const override {
    if (index + 1 == event_count(r)) {
      out += "data: [DONE]\n\n";
      return;
    }
    out += "data: {\"id\":\"";
    out += r.id;
    out += "\",\"object\":\"text_completion\",\"created\":";
    append_uint(out, r.created);
    out += ",\"choices\":";
    if (index < r.output_tokens) {
      out += "[{\"text\":\"";
      append_token_text(out, index);
      out += "\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}]";
    } else if (index == r.output_tokens) {
      out += "[{\"text\":\"\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"";
      out += finish_reason(r);
      out += "\"}]";
    } else {
      out += "[],";
      append_usage(out, r);
    }
    out += ",\"model\":";
    out += r.model_json;
    out += ",\"system_fingerprint\":\"";
    out += kFingerprint;
    out += "\"}\n\n";
  }
};

// ---- Embeddings -------------------------------------------------------------------------

// A fixed, deterministic component in [-1, 1] with three decimals, in thousandths.
int embedding_milli(uint32_t item, uint32_t dim) {
  return static_cast<int>((item * 7919u + dim * 104729u + 17u) % 2001u) - 1000;
}

void append_milli(std::string& out, int milli) {
  if (milli < 0) {
    out += '-';
    milli = -milli;
  }
  append_uint(out, static_cast<uint64_t>(milli / 1000));
  out += '.';
  char frac[3] = {static_cast<char>('0' + milli / 100 % 10),
                  static_cast<char>('0' + milli / 10 % 10), static_cast<char>('0' + milli % 10)};
  out.append(frac, 3);
}

// The vector as little-endian float32, base64: what the SDKs ask for by default.
void append_base64_vector(std::string& out, uint32_t item, uint32_t dims) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  bytes.reserve(static_cast<size_t>(dims) * 4);
  for (uint32_t d = 0; d < dims; ++d) {
    float f = static_cast<float>(embedding_milli(item, d)) / 1000.0f;
    uint32_t bits;
    static_assert(sizeof bits == sizeof f);
    __builtin_memcpy(&bits, &f, sizeof bits);
    for (int b = 0; b < 4; ++b) bytes += static_cast<char>((bits >> (8 * b)) & 0xFF);
  }
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint32_t{static_cast<uint8_t>(bytes[i])} << 16) |
                 (uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8) |
                 static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t{static_cast<uint8_t>(bytes[i])} << 16;
    if (rest == 2) v |= uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
}

class EmbeddingsFormat final : public WireFormat {
 public:
  std::string body(const Reply& r) const override {
    std::string out;
    out.reserve(128 + static_cast<size_t>(r.items) * (64 + r.dimensions * 7));
    out += "{\"object\":\"list\",\"data\":[";
    for (uint32_t i = 0; i < r.items; ++i) {
      if (i) out += ',';
      out += "{\"object\":\"embedding\",\"index\":";
      append_uint(out, i);
      out += ",\"embedding\":";
      if (r.base64) {
        out += '"';
        append_base64_vector(out, i, r.dimensions);
        out += '"';
      } else {
        out += '[';
        for (uint32_t d = 0; d < r.dimensions; ++d) {
          if (d) out += ',';
          append_milli(out, embedding_milli(i, d));
        }
        out += ']';
      }
      out += '}';
    }
    out += "],\"model\":";
    out += r.model_json;
    out += ",\"usage\":{\"prompt_tokens\":";
    append_uint(out, r.input_tokens);
    out += ",\"total_tokens\":";
    append_uint(out, r.input_tokens);
    out += "}}";
    return out;
  }
  // Embeddings never stream; the handler answers them with body() only.
  uint32_t prelude_events(const Reply&) const override { return 0; }
  uint32_t epilogue_events(const Reply&) const override { return 0; }
  void append_event(std::string&, const Reply&, uint32_t) const override {}
};

struct OpenAiErrorText {
  std::string_view type;
  std::string_view code;  // empty: null
  std::string_view message;
};

OpenAiErrorText openai_error_text(int status, std::string_view code) {
  if (code == "insufficient_quota") {
    return {"insufficient_quota", "insufficient_quota",
            "You exceeded your current quota, please check your plan and billing details. For "
            "more information on this error, read the docs: "
            "https://platform.openai.com/docs/guides/error-codes/api-errors."};
  }
  switch (status) {
    case 400:
      return {"invalid_request_error", code, "Invalid request (injected by sluice-mock)."};
    case 401:
      return {"invalid_request_error", code.empty() ? "invalid_api_key" : code,
              "Incorrect API key provided."};
    case 403:
      return {"request_forbidden", code, "Request forbidden (injected by sluice-mock)."};
    case 404:
      return {"invalid_request_error", code.empty() ? "model_not_found" : code,
              "The model does not exist or you do not have access to it."};
    case 429:
      return {"requests", code.empty() ? "rate_limit_exceeded" : code,
              "Rate limit reached for requests (injected by sluice-mock)."};
    case 500:
      return {"server_error", code,
              "The server had an error while processing your request. Sorry about that!"};
    case 502:
      return {"server_error", code, "Bad gateway."};
    case 503:
      return {"server_error", code, "The engine is currently overloaded, please try again later."};
    case 504:
      return {"server_error", code, "Request timed out."};
    default:
      return {status >= 500 ? "server_error" : "invalid_request_error", code,
              "Error injected by sluice-mock."};
  }
}

}  // namespace

ErrorReply openai_error(int status, std::string_view code, std::string_view message,
                        std::string_view type) {
  OpenAiErrorText t = openai_error_text(status, code);
  ErrorReply e;
  e.body += "{\"error\":{\"message\":";
  route::append_json_string(e.body, message.empty() ? t.message : message);
  e.body += ",\"type\":";
  route::append_json_string(e.body, type.empty() ? t.type : type);
  e.body += ",\"param\":null,\"code\":";
  if (t.code.empty()) {
    e.body += "null";
  } else {
    route::append_json_string(e.body, t.code);
  }
  e.body += "}}";
  return e;
}

std::string openai_model_list(uint64_t created) {
  std::string out = "{\"object\":\"list\",\"data\":[";
  const std::string_view ids[] = {"gpt-4o", "gpt-4o-mini", "text-embedding-3-small", "mock-model"};
  for (size_t i = 0; i < std::size(ids); ++i) {
    if (i) out += ',';
    out += openai_model(ids[i], created);
  }
  out += "]}";
  return out;
}

std::string openai_model(std::string_view id, uint64_t created) {
  std::string out = "{\"id\":";
  route::append_json_string(out, id);
  out += ",\"object\":\"model\",\"created\":";
  append_uint(out, created);
  out += ",\"owned_by\":\"sluice-mock\"}";
  return out;
}

const WireFormat& openai_chat_format() {
  static const ChatFormat f;
  return f;
}

const WireFormat& openai_completions_format() {
  static const CompletionsFormat f;
  return f;
}

const WireFormat& openai_embeddings_format() {
  static const EmbeddingsFormat f;
  return f;
}

ErrorReply error_reply(Dialect d, int status, std::string_view code, std::string_view message,
                       std::string_view request_id) {
  switch (d) {
    case Dialect::anthropic:
      return anthropic_error(status, code, message, request_id);
    case Dialect::gemini:
      return gemini_error(status, code, message);
    case Dialect::openai:
      break;
  }
  return openai_error(status, code, message);
}

}  // namespace sluice::mock
