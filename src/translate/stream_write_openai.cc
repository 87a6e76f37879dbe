// Writing an OpenAI Chat Completions stream: one chat.completion.chunk per event, the
// finish chunk, the usage chunk (choices: []) only when the client asked with
// stream_options.include_usage, then `data: [DONE]`. Thinking goes out as
// `delta.reasoning_content`; what a later turn must send back rides in the fields the
// whole-response writer uses (response.cc) and the request reader takes back: an
// Anthropic block, when its signature arrives, as `delta.thinking_blocks` with the
// block's whole text; a Gemini thoughtSignature as `extra_content.google.
// thought_signature` on its tool call, or on a delta of its own. A failure is
// `data: {"error": ...}` with no [DONE] after it: both official SDKs raise an APIError on
// a chunk holding `error`.

#include "sluice/core/append_number.h"
#include "sluice/core/json_string.h"
#include "stream_parts.h"

namespace sluice::translate::stream {

namespace {

class OpenAiWriter final : public ClientWriter {
 public:
  explicit OpenAiWriter(const ResponseContext& context) : ClientWriter(ApiFlavor::openai, context) {
    // Every chunk starts the same way.
    head_ = R"(data: {"id":)";
    append_completion_id_json(head_, request_id_);
    head_ += R"(,"object":"chat.completion.chunk","created":)";
    core::append_uint(head_, created_s_);
    head_ += R"(,"model":)";
    core::append_json_string(head_, model_);
    head_ += ',';
  }

 protected:
  void on_begin(std::string& out) override {
    delta_chunk(out, R"({"role":"assistant","content":""})");
  }

  void on_text(std::string_view text, std::string& out) override {
    flush_part_signature(out);
    thinking_.clear();
    delta_string(out, "content", text);
  }

  void on_thinking(std::string_view text, std::string& out) override {
    flush_part_signature(out);
    thinking_ += text;
    delta_string(out, "reasoning_content", text);
  }

  void on_signature(std::string_view signature, std::string& out) override {
    open_choice(out);
    thinking_block_head(out);
    out += R"("type":"thinking","thinking":)";
    core::append_json_string(out, thinking_);
    out += R"(,"signature":)";
    core::append_json_string(out, signature);
    out += "}]}";
    close_choice(out, {});
    thinking_.clear();
  }

  void on_part_signature(std::string_view signature, std::string& out) override {
    flush_part_signature(out);
    part_signature_ = signature;
  }

  void on_redacted_thinking(std::string_view data, std::string& out) override {
    open_choice(out);
    thinking_block_head(out);
    out += R"("type":"redacted_thinking","data":)";
    core::append_json_string(out, data);
    out += "}]}";
    close_choice(out, {});
  }

  void on_tool_start(uint32_t call, std::string_view id, std::string_view name,
                     std::string& out) override {
    open_choice(out);
    out += R"({"tool_calls":[{"index":)";
    core::append_uint(out, call);
    out += R"(,"id":)";
    core::append_json_string(out, id);
    out += R"(,"type":"function","function":{"name":)";
    core::append_json_string(out, name);
    out += R"(,"arguments":""})";
    if (!part_signature_.empty()) {
      out += R"(,"extra_content":{"google":{"thought_signature":)";
      core::append_json_string(out, part_signature_);
      out += "}}";
      part_signature_.clear();
    }
    out += "}]}";
    close_choice(out, {});
    thinking_.clear();
  }

  void on_tool_args(uint32_t call, std::string_view fragment, std::string& out) override {
    open_choice(out);
    out += R"({"tool_calls":[{"index":)";
    core::append_uint(out, call);
    out += R"(,"function":{"arguments":)";
    core::append_json_string(out, fragment);
    out += "}}]}";
    close_choice(out, {});
  }

  void on_tool_end(uint32_t, std::string&) override {}

  void on_stop(FinishReason reason, std::string& out) override {
    flush_part_signature(out);
    open_choice(out);
    out += "{}";
    close_choice(out, openai_finish_reason(reason));
    usage_chunk(out);
  }

  void on_end(bool stopped, std::string& out) override {
    flush_part_signature(out);
    if (!stopped) usage_chunk(out);
    out += "data: [DONE]\n\n";
  }

  void on_error(ErrorClass error, std::string_view message, std::string& out) override {
    out += "data: ";
    route::append_error_body(out, ApiFlavor::openai, error, message);
    out += "\n\n";
  }

 private:
  // Each block carries its position, as tool_calls do: the SDKs' stream accumulators
  // (openai-python ChatCompletionStreamState) merge list entries by `index` and refuse
  // a second list delta without one.
  void thinking_block_head(std::string& out) {
    out += R"({"thinking_blocks":[{"index":)";
    core::append_uint(out, thinking_blocks_++);
    out += ',';
  }

  // A Gemini signature no call took: on a delta of its own, as the whole-response
  // writer puts it on the message.
  void flush_part_signature(std::string& out) {
    if (part_signature_.empty()) return;
    open_choice(out);
    out += R"({"extra_content":{"google":{"thought_signature":)";
    core::append_json_string(out, part_signature_);
    out += "}}}";
    close_choice(out, {});
    part_signature_.clear();
  }

  void open_choice(std::string& out) const {
    out += head_;
    out += R"("choices":[{"index":0,"delta":)";
  }

  static void close_choice(std::string& out, std::string_view finish_reason) {
    out += R"(,"logprobs":null,"finish_reason":)";
    if (finish_reason.empty()) {
      out += "null";
    } else {
      core::append_json_string(out, finish_reason);
    }
    out += "}]}\n\n";
  }

  void delta_chunk(std::string& out, std::string_view delta) const {
    open_choice(out);
    out += delta;
    close_choice(out, {});
  }

  void delta_string(std::string& out, std::string_view key, std::string_view value) const {
    open_choice(out);
    out += "{\"";
    out += key;
    out += "\":";
    core::append_json_string(out, value);
    out += '}';
    close_choice(out, {});
  }

  void usage_chunk(std::string& out) const {
    if (!include_usage_) return;
    out += head_;
    out += R"("choices":[],"usage":)";
    append_usage(out, ApiFlavor::openai, usage_);
    out += "}\n\n";
  }

  std::string head_;
  std::string thinking_;          // the open Anthropic thinking block's text, for thinking_blocks
  std::string part_signature_;    // a Gemini signature waiting for its part
  uint32_t thinking_blocks_ = 0;  // thinking_blocks entries written so far
};

}  // namespace

std::unique_ptr<ClientWriter> make_openai_writer(const ResponseContext& context) {
  return std::make_unique<OpenAiWriter>(context);
}

}  // namespace sluice::translate::stream
