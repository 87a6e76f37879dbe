// Reading an OpenAI Chat Completions stream: `data:` chunks of chat.completion.chunk, a
// usage chunk (choices: []) after the finish, then `data: [DONE]`. The gateway always
// asks for the usage chunk, so the finish reason is held until it comes (it follows in
// the same write) and the usage the client sees is final. Only choice 0 is read.

#include "stream_parts.h"

namespace sluice::translate::stream {

namespace {

class OpenAiReader final : public ProviderReader {
 public:
  void event(const scan::SseEvent& e, ClientWriter& w, std::string& out) override {
    if (e.has_data && e.data == "[DONE]") {
      finish(w, out);
      return;
    }
    json::Document doc;
    if (!event_json(e, doc, w, out)) return;
    if (const json::Value* error = json::object(&doc, "error")) {
      w.error(error_class_from(ApiFlavor::openai, json::string(error, "type")),
              json::string(error, "message", "the provider's stream failed"), out);
      return;
    }
    w.begin(out);
    if (const json::Value* choices = json::array(&doc, "choices"); choices && !choices->Empty()) {
      choice((*choices)[0], w, out);
    }
    if (const json::Value* usage = json::object(&doc, "usage")) {
      w.usage(tokens_from_openai(
          json::uint(usage, "prompt_tokens"), json::uint(usage, "completion_tokens"),
          json::uint(json::object(usage, "prompt_tokens_details"), "cached_tokens"),
          json::uint(json::object(usage, "completion_tokens_details"), "reasoning_tokens")));
      usage_seen_ = true;
    }
    if (finish_ && usage_seen_) w.stop(*finish_, out);
  }

  void finish(ClientWriter& w, std::string& out) override {
    end_open_call(w, out);
    if (finish_) w.stop(*finish_, out);
    w.end(out);
  }

 private:
  void choice(const json::Value& choice, ClientWriter& w, std::string& out) {
    if (const json::Value* delta = json::object(&choice, "delta")) {
      // Reasoning text as DeepSeek, vLLM and OpenRouter stream it.
      std::string_view reasoning = json::string(delta, "reasoning_content");
      if (reasoning.empty()) reasoning = json::string(delta, "reasoning");
      w.thinking(reasoning, out);
      w.text(json::string(delta, "content"), out);
      w.text(json::string(delta, "refusal"), out);
      if (const json::Value* calls = json::array(delta, "tool_calls")) {
        for (const json::Value& call : calls->GetArray()) tool_call(call, w, out);
      }
    }
    if (std::string_view reason = json::string(&choice, "finish_reason"); !reason.empty()) {
      end_open_call(w, out);
      finish_ = finish_from_openai(reason);
      // vLLM and other OpenAI-compatible servers name the stop string that matched.
      if (const std::string_view sequence = json::string(&choice, "stop_reason");
          reason == "stop" && !sequence.empty()) {
        finish_ = FinishReason::stop_sequence;
        w.stop_sequence(sequence);
      }
    }
  }

  void tool_call(const json::Value& call, ClientWriter& w, std::string& out) {
    const json::Value* index = json::member(call, "index");
    const uint64_t key = index && index->IsUint64() ? index->GetUint64() : 0;
    const json::Value* function = json::object(&call, "function");
    int64_t number = calls_.find(key);
    if (number < 0) {
      end_open_call(w, out);
      number = calls_.add(key);
      w.tool_start(static_cast<uint32_t>(number), json::string(&call, "id"),
                   json::string(function, "name"), out);
      open_ = number;
    }
    w.tool_args(static_cast<uint32_t>(number), json::string(function, "arguments"), out);
  }

  void end_open_call(ClientWriter& w, std::string& out) {
    if (open_ < 0) return;
    w.tool_end(static_cast<uint32_t>(open_), out);
    open_ = -1;
  }

  CallNumbers calls_;
  int64_t open_ = -1;  // the call whose arguments are streaming
  std::optional<FinishReason> finish_;
  bool usage_seen_ = false;
};

}  // namespace

std::unique_ptr<ProviderReader> make_openai_reader() { return std::make_unique<OpenAiReader>(); }

}  // namespace sluice::translate::stream
