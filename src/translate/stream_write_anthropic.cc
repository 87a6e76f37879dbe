// Writing an Anthropic Messages stream: message_start (with the input and cache usage
// known when the response begins), one content block per run of text, thinking or one
// tool call, message_delta with the stop reason and the whole usage (input included, as
// Anthropic's own message_delta carries it, because an OpenAI provider tells the input
// count only at the end), then message_stop. A failure is `event: error`. A Gemini
// thoughtSignature rides as the signature of a thinking block, marked with
// as the whole-response writer marks it: on the thought's own block; on an empty block
// just before the call it signed (kGeminiSignaturePrefix); or, for a text part, on an
// empty block right after the text block (kGeminiTextSignaturePrefix), so that the text
// flows on in one block. The request reader puts each back on its part.

#include "ir.h"
#include "sluice/core/append_number.h"
#include "sluice/core/json_string.h"
#include "stream_parts.h"

namespace sluice::translate::stream {

namespace {

enum class Block : uint8_t { none, text, thinking, redacted, tool };

class AnthropicWriter final : public ClientWriter {
 public:
  explicit AnthropicWriter(const ResponseContext& context)
      : ClientWriter(ApiFlavor::anthropic, context) {}

 protected:
  void on_begin(std::string& out) override {
    out += "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":";
    append_message_id_json(out, request_id_);
    out += R"(,"type":"message","role":"assistant","model":)";
    core::append_json_string(out, model_);
    out += R"(,"content":[],"stop_reason":null,"stop_sequence":null,"usage":)";
    append_usage(out, ApiFlavor::anthropic, usage_);
    out += "}}\n\n";
  }

  void on_text(std::string_view text, std::string& out) override {
    if (!part_signature_.empty()) {
      // The text part it signs goes on in the open text block; the signature follows
      // the block. A second signed part in one block starts a block of its own.
      if (!text_signature_.empty()) close_block(out);
      text_signature_ = std::move(part_signature_);
      part_signature_.clear();
    }
    if (open_ != Block::text) start_block(Block::text, R"({"type":"text","text":""})", out);
    delta(out, "text_delta", "text", text);
  }

  void on_thinking(std::string_view text, std::string& out) override {
    if (open_ != Block::thinking) {
      start_block(Block::thinking, R"({"type":"thinking","thinking":"","signature":""})", out);
    }
    if (!part_signature_.empty()) {
      delta(out, "signature_delta", "signature",
            std::string(ir::kGeminiSignaturePrefix) += part_signature_);
      part_signature_.clear();
    }
    delta(out, "thinking_delta", "thinking", text);
  }

  void on_signature(std::string_view signature, std::string& out) override {
    // Anthropic's own signature closes its thinking; one with no thinking open gets an
    // empty block.
    if (open_ != Block::thinking) {
      start_block(Block::thinking, R"({"type":"thinking","thinking":"","signature":""})", out);
    }
    delta(out, "signature_delta", "signature", signature);
  }

  void on_part_signature(std::string_view signature, std::string& out) override {
    flush_part_signature(out);
    part_signature_ = signature;
  }

  void on_redacted_thinking(std::string_view data, std::string& out) override {
    flush_part_signature(out);
    std::string block = R"({"type":"redacted_thinking","data":)";
    core::append_json_string(block, data);
    block += '}';
    start_block(Block::redacted, block, out);
    close_block(out);
  }

  void on_tool_start(uint32_t call, std::string_view id, std::string_view name,
                     std::string& out) override {
    flush_part_signature(out);
    std::string block = R"({"type":"tool_use","id":)";
    core::append_json_string(block, id);
    block += R"(,"name":)";
    core::append_json_string(block, name);
    block += R"(,"input":{}})";
    start_block(Block::tool, block, out);
    if (call_blocks_.size() <= call) call_blocks_.resize(call + 1, 0);
    call_blocks_[call] = index_;
    open_call_ = call;
  }

  void on_tool_args(uint32_t call, std::string_view fragment, std::string& out) override {
    if (call >= call_blocks_.size()) return;
    // A fragment for a call whose block was closed (interleaved calls) still names its
    // block's index; the SDKs append it there.
    block_event(out, "content_block_delta", call_blocks_[call]);
    out += R"(,"delta":{"type":"input_json_delta","partial_json":)";
    core::append_json_string(out, fragment);
    out += "}}\n\n";
  }

  void on_tool_end(uint32_t call, std::string& out) override {
    if (open_ == Block::tool && open_call_ == call) close_block(out);
  }

  void on_stop(FinishReason reason, std::string& out) override {
    close_block(out);
    flush_trailing_signature(out);
    message_delta(anthropic_stop_reason(reason), out);
  }

  void on_end(bool stopped, std::string& out) override {
    if (!stopped) {
      close_block(out);
      flush_trailing_signature(out);
      message_delta({}, out);
    }
    out += "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  }

  void on_error(ErrorClass error, std::string_view message, std::string& out) override {
    out += "event: error\ndata: ";
    route::append_error_body(out, ApiFlavor::anthropic, error, message);
    out += "\n\n";
  }

 private:
  // A Gemini signature for a call (or a part sluice skips): an empty thinking block of
  // its own, before that part.
  void flush_part_signature(std::string& out) {
    if (part_signature_.empty()) return;
    close_block(out);
    signature_block(ir::kGeminiSignaturePrefix, part_signature_, out);
    part_signature_.clear();
  }

  // A signature no part followed (Gemini ends streams with one on an empty text part):
  // it belongs to the text before it.
  void flush_trailing_signature(std::string& out) {
    if (part_signature_.empty()) return;
    signature_block(ir::kGeminiTextSignaturePrefix, part_signature_, out);
    part_signature_.clear();
  }

  // An empty thinking block whose signature is a marked Gemini signature; no block is open.
  void signature_block(std::string_view prefix, std::string_view signature, std::string& out) {
    index_ = next_index_++;
    block_event(out, "content_block_start", index_);
    out += R"(,"content_block":{"type":"thinking","thinking":"","signature":""}})";
    out += "\n\n";
    delta(out, "signature_delta", "signature", std::string(prefix) += signature);
    block_event(out, "content_block_stop", index_);
    out += "}\n\n";
  }

  void block_event(std::string& out, std::string_view type, uint32_t index) const {
    out += "event: ";
    out += type;
    out += "\ndata: {\"type\":\"";
    out += type;
    out += "\",\"index\":";
    core::append_uint(out, index);
  }

  void start_block(Block kind, std::string_view block, std::string& out) {
    close_block(out);
    index_ = next_index_++;
    open_ = kind;
    block_event(out, "content_block_start", index_);
    out += R"(,"content_block":)";
    out += block;
    out += "}\n\n";
  }

  void close_block(std::string& out) {
    if (open_ == Block::none) return;
    block_event(out, "content_block_stop", index_);
    out += "}\n\n";
    if (open_ == Block::text && !text_signature_.empty()) {
      signature_block(ir::kGeminiTextSignaturePrefix, text_signature_, out);
      text_signature_.clear();
    }
    open_ = Block::none;
  }

  void delta(std::string& out, std::string_view type, std::string_view key,
             std::string_view value) const {
    block_event(out, "content_block_delta", index_);
    out += R"(,"delta":{"type":")";
    out += type;
    out += "\",\"";
    out += key;
    out += "\":";
    core::append_json_string(out, value);
    out += "}}\n\n";
  }

  void message_delta(std::string_view stop_reason, std::string& out) const {
    out += "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":";
    if (stop_reason.empty()) {
      out += "null";
    } else {
      core::append_json_string(out, stop_reason);
    }
    out += R"(,"stop_sequence":)";
    if (stop_reason == "stop_sequence" && !stop_sequence_.empty()) {
      core::append_json_string(out, stop_sequence_);
    } else {
      out += "null";
    }
    out += R"(},"usage":)";
    append_usage(out, ApiFlavor::anthropic, usage_);
    out += "}\n\n";
  }

  Block open_ = Block::none;
  uint32_t index_ = 0;                 // the open (or last) block's index
  uint32_t next_index_ = 0;            // blocks are numbered from 0 in order
  uint32_t open_call_ = 0;             // the call of the open tool block
  std::vector<uint32_t> call_blocks_;  // call number to its block's index
  std::string part_signature_;         // a Gemini signature waiting for its part
  std::string text_signature_;         // the open text block's Gemini signature
};

}  // namespace

std::unique_ptr<ClientWriter> make_anthropic_writer(const ResponseContext& context) {
  return std::make_unique<AnthropicWriter>(context);
}

}  // namespace sluice::translate::stream
