// Reading an Anthropic Messages stream: message_start (id, input and cache usage),
// content blocks (text, thinking with its signature, tool_use with input_json_delta),
// message_delta (stop_reason and cumulative usage), message_stop; ping is skipped and
// `event: error` fails the client's stream.

#include "stream_parts.h"

namespace sluice::translate::stream {

namespace {

class AnthropicReader final : public ProviderReader {
 public:
  void event(const scan::SseEvent& e, ClientWriter& w, std::string& out) override {
    json::Document doc;
    if (!event_json(e, doc, w, out)) return;
    std::string_view type = json::string(&doc, "type", e.type);
    if (type == "content_block_delta") {
      delta(doc, w, out);
    } else if (type == "content_block_start") {
      block_start(doc, w, out);
    } else if (type == "content_block_stop") {
      int64_t call = calls_.find(json::uint(&doc, "index"));
      if (call >= 0) w.tool_end(static_cast<uint32_t>(call), out);
    } else if (type == "message_start") {
      const json::Value* message = json::object(&doc, "message");
      read_usage(json::object(message, "usage"));
      w.usage(usage_);
      w.begin(out);
    } else if (type == "message_delta") {
      read_usage(json::object(&doc, "usage"));
      w.usage(usage_);
      const json::Value* delta = json::object(&doc, "delta");
      w.stop_sequence(json::string(delta, "stop_sequence"));
      std::string_view reason = json::string(delta, "stop_reason");
      if (!reason.empty()) w.stop(finish_from_anthropic(reason), out);
    } else if (type == "message_stop") {
      w.end(out);
    } else if (type == "error") {
      const json::Value* error = json::object(&doc, "error");
      w.error(error_class_from(ApiFlavor::anthropic, json::string(error, "type")),
              json::string(error, "message", "the provider's stream failed"), out);
    }
  }

  void finish(ClientWriter& w, std::string& out) override { w.end(out); }

 private:
  void block_start(const json::Value& doc, ClientWriter& w, std::string& out) {
    const json::Value* block = json::object(&doc, "content_block");
    std::string_view kind = json::string(block, "type");
    if (kind == "text") {
      w.text(json::string(block, "text"), out);
    } else if (kind == "thinking") {
      w.thinking(json::string(block, "thinking"), out);
      w.signature(json::string(block, "signature"), out);
    } else if (kind == "redacted_thinking") {
      w.redacted_thinking(json::string(block, "data"), out);
    } else if (kind == "tool_use") {
      const uint64_t index = json::uint(&doc, "index");
      if (calls_.find(index) >= 0) return;
      uint32_t call = calls_.add(index);
      w.tool_start(call, json::string(block, "id"), json::string(block, "name"), out);
      // The input is {} in a stream and arrives as input_json_delta; anything else
      // given here is its start.
      const json::Value* input = json::object(block, "input");
      if (input != nullptr && input->MemberCount() > 0) {
        std::string args;
        json::append(args, *input);
        w.tool_args(call, args, out);
      }
    }
    // Server tool blocks and others have no counterpart: skipped.
  }

  void delta(const json::Value& doc, ClientWriter& w, std::string& out) {
    const json::Value* d = json::object(&doc, "delta");
    std::string_view kind = json::string(d, "type");
    if (kind == "text_delta") {
      w.text(json::string(d, "text"), out);
    } else if (kind == "thinking_delta") {
      w.thinking(json::string(d, "thinking"), out);
    } else if (kind == "signature_delta") {
      w.signature(json::string(d, "signature"), out);
    } else if (kind == "input_json_delta") {
      int64_t call = calls_.find(json::uint(&doc, "index"));
      if (call >= 0) w.tool_args(static_cast<uint32_t>(call), json::string(d, "partial_json"), out);
    }
  }

  // message_delta's usage is cumulative and may repeat the input counts: a member
  // present replaces the one from message_start, an absent one keeps it.
  void read_usage(const json::Value* u) {
    if (u == nullptr) return;
    auto take = [u](std::string_view key, uint64_t& field) {
      if (json::member(u, key) != nullptr) field = json::uint(u, key);
    };
    take("input_tokens", input_);
    take("output_tokens", output_);
    take("cache_read_input_tokens", cache_read_);
    take("cache_creation_input_tokens", cache_write_);
    usage_ = tokens_from_anthropic(input_, output_, cache_read_, cache_write_);
  }

  CallNumbers calls_;  // tool_use block index to call number
  uint64_t input_ = 0, output_ = 0, cache_read_ = 0, cache_write_ = 0;
  TokenCounts usage_;
};

}  // namespace

std::unique_ptr<ProviderReader> make_anthropic_reader() {
  return std::make_unique<AnthropicReader>();
}

}  // namespace sluice::translate::stream
