// Writing a Gemini stream: one GenerateContentResponse per event, as `data:` events
// (?alt=sse) or as the elements of one JSON array ("[" first, "," between, "]" at the
// end; Content-Type application/json). A tool call goes out whole when its arguments
// are complete, because a Gemini functionCall carries its args as one object: only
// that call's fragments are held. Thinking is a part with "thought": true. An Anthropic
// signature (or redacted_thinking) is an empty thought part whose thoughtSignature is
// marked with kAnthropicSignaturePrefix, as the whole-response writer marks it, so that
// only Anthropic gets it back. The last chunk has the finishReason and the
// usageMetadata. A failure is an object {"error": ...}.

#include "ir.h"
#include "sluice/core/json_string.h"
#include "stream_parts.h"

namespace sluice::translate::stream {

namespace {

class GeminiWriter final : public ClientWriter {
 public:
  explicit GeminiWriter(const ResponseContext& context) : ClientWriter(ApiFlavor::gemini, context) {
    tail_ = R"(,"modelVersion":)";
    core::append_json_string(tail_, model_);
    tail_ += R"(,"responseId":)";
    core::append_json_string(tail_, request_id_);
    tail_ += '}';
  }

  std::string_view content_type() const override {
    return gemini_sse_ ? "text/event-stream" : "application/json";
  }

 protected:
  // Gemini has no opening event; the JSON-array form opens its array.
  void on_begin(std::string& out) override {
    if (!gemini_sse_) out += '[';
    opened_ = true;
  }

  void on_text(std::string_view text, std::string& out) override {
    std::string part = R"({"text":)";
    core::append_json_string(part, text);
    part += '}';
    part_chunk(part, out);
  }

  void on_thinking(std::string_view text, std::string& out) override {
    std::string part = R"({"text":)";
    core::append_json_string(part, text);
    part += R"(,"thought":true})";
    part_chunk(part, out);
  }

  void on_signature(std::string_view signature, std::string& out) override {
    std::string part = R"({"text":"","thought":true,"thoughtSignature":)";
    core::append_json_string(part, std::string(ir::kAnthropicSignaturePrefix) += signature);
    part += '}';
    part_chunk(part, out);
  }

  void on_part_signature(std::string_view signature, std::string& out) override {
    flush_part_signature(out);
    part_signature_ = signature;
  }

  void on_redacted_thinking(std::string_view data, std::string& out) override {
    on_signature(std::string("redacted:") += data, out);
  }

  void on_tool_start(uint32_t call, std::string_view id, std::string_view name,
                     std::string&) override {
    calls_.push_back(Call{call, std::string(id), std::string(name), {}});
  }

  void on_tool_args(uint32_t call, std::string_view fragment, std::string&) override {
    if (Call* c = find(call)) c->args += fragment;
  }

  void on_tool_end(uint32_t call, std::string& out) override {
    for (size_t i = 0; i < calls_.size(); ++i) {
      if (calls_[i].number != call) continue;
      std::string part;
      function_call(calls_[i], part);
      calls_.erase(calls_.begin() + static_cast<std::ptrdiff_t>(i));
      part_chunk(part, out);
      return;
    }
  }

  void on_stop(FinishReason reason, std::string& out) override {
    flush_calls(out);
    flush_part_signature(out);
    std::string body = R"({"candidates":[{"content":{"parts":[],"role":"model"},"finishReason":)";
    core::append_json_string(body, gemini_finish_reason(reason));
    body += R"(,"index":0}],"usageMetadata":)";
    append_usage(body, ApiFlavor::gemini, usage_);
    body += tail_;
    object(body, out);
  }

  void on_end(bool stopped, std::string& out) override {
    if (!stopped) {
      flush_calls(out);
      flush_part_signature(out);
      std::string body = R"({"usageMetadata":)";
      append_usage(body, ApiFlavor::gemini, usage_);
      body += tail_;
      object(body, out);
    }
    if (!gemini_sse_) out += ']';
  }

  void on_error(ErrorClass error, std::string_view message, std::string& out) override {
    std::string body;
    route::append_error_body(body, ApiFlavor::gemini, error, message);
    if (!gemini_sse_ && !opened_) {
      out += '[';
    }
    opened_ = true;
    object(body, out);
    if (!gemini_sse_) out += ']';
  }

 private:
  struct Call {
    uint32_t number;
    std::string id;
    std::string name;
    std::string args;  // the fragments so far
  };

  Call* find(uint32_t number) {
    for (Call& c : calls_) {
      if (c.number == number) return &c;
    }
    return nullptr;
  }

  // A provider that ends without closing its calls still gets them out, in order.
  void flush_calls(std::string& out) {
    while (!calls_.empty()) on_tool_end(calls_.front().number, out);
  }

  static void function_call(const Call& c, std::string& part) {
    part += R"({"functionCall":{"id":)";
    core::append_json_string(part, c.id);
    part += R"(,"name":)";
    core::append_json_string(part, c.name);
    part += R"(,"args":)";
    // Arguments that are not a JSON object (a model's broken JSON) cannot be a Gemini
    // args object: they go under the one key "arguments", as the text they were.
    json::Document doc;
    std::string ignored;
    if (c.args.empty()) {
      part += "{}";
    } else if (json::parse(c.args, doc, ignored) && doc.IsObject()) {
      json::append(part, doc);
    } else {
      part += R"({"arguments":)";
      core::append_json_string(part, c.args);
      part += '}';
    }
    part += "}}";
  }

  // A signature no part took: on an empty text part, as Gemini sends one.
  void flush_part_signature(std::string& out) {
    if (part_signature_.empty()) return;
    part_chunk(R"({"text":""})", out);
  }

  void part_chunk(std::string_view part, std::string& out) {
    std::string body = R"({"candidates":[{"content":{"parts":[)";
    if (!part_signature_.empty()) {
      // The signature goes on the part as a member of it.
      body += part.substr(0, part.size() - 1);
      body += R"(,"thoughtSignature":)";
      core::append_json_string(body, part_signature_);
      body += '}';
      part_signature_.clear();
    } else {
      body += part;
    }
    body += R"(],"role":"model"},"index":0}])";
    body += tail_;
    object(body, out);
  }

  void object(std::string_view body, std::string& out) {
    if (gemini_sse_) {
      out += "data: ";
      out += body;
      out += "\r\n\r\n";
      return;
    }
    if (written_ > 0) out += ",\r\n";
    out += body;
    ++written_;
  }

  std::string tail_;  // modelVersion, responseId and the closing brace
  std::vector<Call> calls_;
  uint64_t written_ = 0;        // objects in the JSON array so far
  bool opened_ = false;         // the JSON array's "[" went out
  std::string part_signature_;  // a Gemini signature waiting for its part
};

}  // namespace

std::unique_ptr<ClientWriter> make_gemini_writer(const ResponseContext& context) {
  return std::make_unique<GeminiWriter>(context);
}

}  // namespace sluice::translate::stream
