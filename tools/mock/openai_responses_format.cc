// OpenAI Responses API. The non-stream body follows openai_responses_nonstream.json; the
// stream sends the events of openai_responses_stream_sdk_text.sse (type and
// sequence_number in every event, usage only in `response.completed`) with the
// `event: <type>` line the live API puts before each one
// (openai_responses_stream_doc_example.sse). The live API sends no `[DONE]`; neither
// does the mock. A reply cut by max_output_tokens ends in `response.incomplete`.

#include "wire_format.h"

namespace sluice::mock {
namespace {

enum class Phase : uint8_t { in_progress, done };

void append_item_id(std::string& out, const Reply& r) {
  out += "\"msg_";
  out += r.id;
  out += '"';
}

// The message item: empty while in progress, with the whole text when done.
void append_item(std::string& out, const Reply& r, Phase phase) {
  out += "{\"id\":";
  append_item_id(out, r);
  if (phase == Phase::in_progress) {
    out +=
        ",\"type\":\"message\",\"status\":\"in_progress\",\"content\":[],\"role\":\"assistant\"}";
    return;
  }
  out += ",\"type\":\"message\",\"status\":\"";
  out += r.truncated ? "incomplete" : "completed";
  out += "\",\"content\":[{\"type\":\"output_text\",\"annotations\":[],\"logprobs\":[],\"text\":\"";
  append_full_text(out, r.output_tokens);
  out += "\"}],\"role\":\"assistant\"}";
}

void append_usage(std::string& out, const Reply& r) {
  out += "{\"input_tokens\":";
  append_uint(out, r.input_tokens);
  out += ",\"input_tokens_details\":{\"cached_tokens\":";
  append_uint(out, r.cached_tokens);
  out += "},\"output_tokens\":";
  append_uint(out, r.output_tokens);
  out += ",\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":";
  append_uint(out, uint64_t{r.input_tokens} + r.output_tokens);
  out += '}';
}

// The response object; `done` adds the output and the usage.
void append_response(std::string& out, const Reply& r, Phase phase) {
  out += "{\"id\":\"resp_";
  out += r.id;
  out += "\",\"object\":\"response\",\"created_at\":";
  append_uint(out, r.created);
  out += ",\"status\":\"";
  if (phase == Phase::in_progress) {
    out += "in_progress\",\"error\":null,\"incomplete_details\":null";
  } else if (r.truncated) {
    out += "incomplete\",\"error\":null,\"incomplete_details\":{\"reason\":\"max_output_tokens\"}";
  } else {
    out += "completed\",\"error\":null,\"incomplete_details\":null";
  }
  out += ",\"instructions\":null,\"max_output_tokens\":null,\"model\":";
  out += r.model_json;
  out += ",\"output\":[";
  if (phase == Phase::done) append_item(out, r, phase);
  out +=
      "],\"parallel_tool_calls\":true,\"previous_response_id\":null,"
      "\"reasoning\":{\"effort\":null,\"summary\":null},\"store\":false,\"temperature\":1.0,"
      "\"text\":{\"format\":{\"type\":\"text\"}},\"tool_choice\":\"auto\",\"tools\":[],"
      "\"top_p\":1.0,\"truncation\":\"disabled\",\"usage\":";
  if (phase == Phase::done) {
    append_usage(out, r);
  } else {
    out += "null";
  }
  out += ",\"user\":null,\"metadata\":{}}";
}

// `event: <type>\ndata: {"type":"<type>",` — the caller writes the rest of the object.
void begin_event(std::string& out, std::string_view type) {
  out += "event: ";
  out += type;
  out += "\ndata: {\"type\":\"";
  out += type;
  out += "\",";
}

void end_event(std::string& out, uint32_t sequence) {
  out += ",\"sequence_number\":";
  append_uint(out, sequence);
  out += "}\n\n";
}

// Item, output and content indexes: one message with one text part.
void append_part_address(std::string& out, const Reply& r) {
  out += "\"item_id\":";
  append_item_id(out, r);
  out += ",\"output_index\":0,\"content_index\":0";
}

class ResponsesFormat final : public WireFormat {
 public:
  std::string body(const Reply& r) const override {
    std::string out;
    out.reserve(1024 + static_cast<size_t>(r.output_tokens) * 8);
    append_response(out, r, Phase::done);
    return out;
  }

  // created, in_progress, output_item.added, content_part.added.
  uint32_t prelude_events(const Reply&) const override { return 4; }
  // output_text.done, content_part.done, output_item.done, completed.
  uint32_t epilogue_events(const Reply&) const override { return 4; }

  void append_event(std::string& out, const Reply& r, uint32_t index) const override {
    uint32_t token_end = 4 + r.output_tokens;
    if (index >= 4 && index < token_end) {
      begin_event(out, "response.output_text.delta");
      append_part_address(out, r);
      out += ",\"delta\":\"";
      append_token_text(out, index - 4);
      out += "\",\"logprobs\":[]";
      end_event(out, index);
      return;
    }
    switch (index < 4 ? index : index - token_end + 4) {
      case 0:
      case 1:
        begin_event(out, index == 0 ? "response.created" : "response.in_progress");
        out += "\"response\":";
        append_response(out, r, Phase::in_progress);
        break;
      case 2:
        begin_event(out, "response.output_item.added");
        out += "\"output_index\":0,\"item\":";
        append_item(out, r, Phase::in_progress);
        break;
      case 3:
        begin_event(out, "response.content_part.added");
        append_part_address(out, r);
        out += ",\"part\":{\"type\":\"output_text\",\"annotations\":[],\"text\":\"\"}";
        break;
      case 4:
        begin_event(out, "response.output_text.done");
        append_part_address(out, r);
        out += ",\"text\":\"";
        append_full_text(out, r.output_tokens);
        out += "\",\"logprobs\":[]";
        break;
      case 5:
        begin_event(out, "response.content_part.done");
        append_part_address(out, r);
        out += ",\"part\":{\"type\":\"output_text\",\"annotations\":[],\"text\":\"";
        append_full_text(out, r.output_tokens);
        out += "\"}";
        break;
      case 6:
        begin_event(out, "response.output_item.done");
        out += "\"output_index\":0,\"item\":";
        append_item(out, r, Phase::done);
        break;
      default:
        begin_event(out, r.truncated ? "response.incomplete" : "response.completed");
        out += "\"response\":";
        append_response(out, r, Phase::done);
        break;
    }
    end_event(out, index);
  }
};

}  // namespace

const WireFormat& openai_responses_format() {
  static const ResponsesFormat f;
  return f;
}

}  // namespace sluice::mock
