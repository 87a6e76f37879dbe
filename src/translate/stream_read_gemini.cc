// Reading a Gemini streamGenerateContent?alt=sse stream: each chunk a whole
// GenerateContentResponse with candidates[0].content.parts (text, thought text,
// functionCall with whole args, thoughtSignature on any part), a finishReason on the last
// and usageMetadata (cumulative, the last one wins) on any. A mid-stream error comes as
// a bare {"error": ...} line without `data:` (fixture gemini_stream_midstream_error_sdk.sse).

#include "stream_parts.h"

namespace sluice::translate::stream {

namespace {

class GeminiReader final : public ProviderReader {
 public:
  void event(const scan::SseEvent& e, ClientWriter& w, std::string& out) override {
    json::Document doc;
    if (!event_json(e, doc, w, out)) return;
    if (const json::Value* error = json::object(&doc, "error")) {
      w.error(error_class_from(ApiFlavor::gemini, json::string(error, "status")),
              json::string(error, "message", "the provider's stream failed"), out);
      return;
    }
    if (const json::Value* u = json::object(&doc, "usageMetadata")) {
      w.usage(tokens_from_gemini(
          json::uint(u, "promptTokenCount"), json::uint(u, "candidatesTokenCount"),
          json::uint(u, "cachedContentTokenCount"), json::uint(u, "thoughtsTokenCount"),
          json::uint(u, "toolUsePromptTokenCount")));
    }
    w.begin(out);
    const json::Value* candidates = json::array(&doc, "candidates");
    if (candidates == nullptr || candidates->Empty()) return;
    const json::Value& candidate = (*candidates)[0];
    if (const json::Value* parts = json::array(json::object(&candidate, "content"), "parts")) {
      for (const json::Value& p : parts->GetArray()) part(p, w, out);
    }
    std::string_view reason = json::string(&candidate, "finishReason");
    if (!reason.empty() && reason != "FINISH_REASON_UNSPECIFIED") {
      w.stop(finish_from_gemini(reason, calls_ > 0), out);
    }
  }

  void finish(ClientWriter& w, std::string& out) override { w.end(out); }

 private:
  void part(const json::Value& p, ClientWriter& w, std::string& out) {
    // The signature is the part's own: it goes first and the writer puts it on what
    // comes next (an empty text part carries only a signature).
    w.part_signature(json::string(&p, "thoughtSignature"), out);
    const json::Value* thought = json::member(p, "thought");
    if (const json::Value* text = json::member(p, "text")) {
      if (thought != nullptr && thought->IsTrue()) {
        w.thinking(json::string_of(text), out);
      } else {
        w.text(json::string_of(text), out);
      }
    } else if (const json::Value* call = json::object(&p, "functionCall")) {
      const uint32_t number = calls_++;
      w.tool_start(number, json::string(call, "id"), json::string(call, "name"), out);
      const json::Value* args = json::object(call, "args");
      if (args != nullptr) {
        std::string text_args;
        json::append(text_args, *args);
        w.tool_args(number, text_args, out);
      } else {
        w.tool_args(number, "{}", out);
      }
      w.tool_end(number, out);
    }
    // inlineData, executableCode and the other part kinds have no counterpart: skipped.
  }

  uint32_t calls_ = 0;
};

}  // namespace

std::unique_ptr<ProviderReader> make_gemini_reader() { return std::make_unique<GeminiReader>(); }

}  // namespace sluice::translate::stream
