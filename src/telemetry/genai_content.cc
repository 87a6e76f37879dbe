#include "sluice/telemetry/genai_content.h"

#include <cassert>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <new>
#include <string>
#include <type_traits>
#include <utility>

// rapidjson 1.1.0 (Debian's) adds an offset to its stacks' null pointer before their
// first allocation, which clang's UBSan reports in the fuzz build; the pointer is only
// compared, so that check is off for rapidjson's code alone (as in src/route/inspect.cc).
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#if defined(__clang__)
#pragma clang attribute pop
#endif

#include "sluice/route/json_string.h"

namespace sluice::telemetry {
namespace {
using rapidjson::Value;

std::string_view text_of(const Value& v) {
  return v.IsString() ? std::string_view(v.GetString(), v.GetStringLength()) : std::string_view{};
}

const Value* get(const Value& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string_view str(const Value& object, const char* key) {
  const Value* v = get(object, key);
  return v ? text_of(*v) : std::string_view{};
}

const Value* array(const Value& object, const char* key) {
  const Value* v = get(object, key);
  return v && v->IsArray() ? v : nullptr;
}

std::string to_json(const Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

MessagePart text_part(std::string_view text) {
  MessagePart p;
  p.type = "text";
  p.content = std::string(text);
  return p;
}

MessagePart tool_call(std::string_view id, std::string_view name, const Value* arguments) {
  MessagePart p;
  p.type = "tool_call";
  p.id = std::string(id);
  p.name = std::string(name);
  if (arguments && arguments->IsString()) {
    p.arguments = std::string(text_of(*arguments));
  } else if (arguments) {
    p.arguments = to_json(*arguments);
    p.arguments_json = true;
  }
  return p;
}

MessagePart tool_response(std::string_view id, std::string response) {
  MessagePart p;
  p.type = "tool_call_response";
  p.id = std::string(id);
  p.content = std::move(response);
  return p;
}

// A string, or the text blocks of an array ({"type":"text","text":...} and the like)
// joined: Anthropic tool results, OpenAI content arrays.
std::string joined_text(const Value& v) {
  if (v.IsString()) return std::string(text_of(v));
  std::string out;
  if (!v.IsArray()) return v.IsNull() ? out : to_json(v);
  for (const Value& item : v.GetArray()) {
    std::string_view t = str(item, "text");
    if (t.empty()) continue;
    if (!out.empty()) out += '\n';
    out += t;
  }
  return out;
}

// OpenAI chat content, Responses content and Anthropic content: a string or blocks.
// Text blocks (text, input_text, output_text) become text parts; Anthropic tool_use
// and tool_result blocks become tool parts.
void content_parts(const Value& content, std::vector<MessagePart>& out) {
  if (content.IsString()) {
    out.push_back(text_part(text_of(content)));
    return;
  }
  if (!content.IsArray()) return;
  for (const Value& block : content.GetArray()) {
    std::string_view type = str(block, "type");
    if (type == "text" || type == "input_text" || type == "output_text") {
      out.push_back(text_part(str(block, "text")));
    } else if (type == "tool_use") {
      out.push_back(tool_call(str(block, "id"), str(block, "name"), get(block, "input")));
    } else if (type == "tool_result") {
      const Value* c = get(block, "content");
      out.push_back(tool_response(str(block, "tool_use_id"), c ? joined_text(*c) : ""));
    }
  }
}

void openai_tool_calls(const Value& message, std::vector<MessagePart>& out) {
  if (const Value* calls = array(message, "tool_calls")) {
    for (const Value& c : calls->GetArray()) {
      const Value* fn = get(c, "function");
      out.push_back(tool_call(str(c, "id"), fn ? str(*fn, "name") : "",
                              fn ? get(*fn, "arguments") : nullptr));
    }
  }
}

bool is_system(std::string_view role) { return role == "system" || role == "developer"; }

void openai_chat_input(const Value& root, std::vector<MessagePart>& system,
                       std::vector<Message>& input) {
  if (const Value* messages = array(root, "messages")) {
    for (const Value& m : messages->GetArray()) {
      std::string_view role = str(m, "role");
      const Value* content = get(m, "content");
      if (is_system(role)) {
        if (content) content_parts(*content, system);
        continue;
      }
      Message msg;
      msg.role = std::string(role);
      if (role == "tool") {
        msg.parts.push_back(
            tool_response(str(m, "tool_call_id"), content ? joined_text(*content) : ""));
      } else {
        if (content) content_parts(*content, msg.parts);
        openai_tool_calls(m, msg.parts);
      }
      input.push_back(std::move(msg));
    }
  }
  // Legacy completions: `prompt` is a string or a list of strings.
  if (const Value* prompt = get(root, "prompt")) {
    Message msg;
    msg.role = "user";
    if (prompt->IsString()) msg.parts.push_back(text_part(text_of(*prompt)));
    if (prompt->IsArray())
      for (const Value& p : prompt->GetArray())
        if (p.IsString()) msg.parts.push_back(text_part(text_of(p)));
    if (!msg.parts.empty()) input.push_back(std::move(msg));
  }
}

void responses_input(const Value& root, std::vector<MessagePart>& system,
                     std::vector<Message>& input) {
  std::string_view instructions = str(root, "instructions");
  if (!instructions.empty()) system.push_back(text_part(instructions));
  const Value* in = get(root, "input");
  if (!in) return;
  if (in->IsString()) {
    input.push_back({"user", {text_part(text_of(*in))}, {}});
    return;
  }
  if (!in->IsArray()) return;
  for (const Value& item : in->GetArray()) {
    std::string_view type = str(item, "type");
    if (type == "function_call") {
      input.push_back({"assistant",
                       {tool_call(str(item, "call_id"), str(item, "name"), get(item, "arguments"))},
                       {}});
      continue;
    }
    if (type == "function_call_output") {
      const Value* out = get(item, "output");
      input.push_back(
          {"tool", {tool_response(str(item, "call_id"), out ? joined_text(*out) : "")}, {}});
      continue;
    }
    std::string_view role = str(item, "role");
    const Value* content = get(item, "content");
    if (role.empty() || !content) continue;
    if (is_system(role)) {
      content_parts(*content, system);
      continue;
    }
    Message msg;
    msg.role = std::string(role);
    content_parts(*content, msg.parts);
    input.push_back(std::move(msg));
  }
}

void anthropic_input(const Value& root, std::vector<MessagePart>& system,
                     std::vector<Message>& input) {
  if (const Value* s = get(root, "system")) content_parts(*s, system);
  if (const Value* messages = array(root, "messages")) {
    for (const Value& m : messages->GetArray()) {
      Message msg;
      msg.role = std::string(str(m, "role"));
      if (const Value* content = get(m, "content")) content_parts(*content, msg.parts);
      input.push_back(std::move(msg));
    }
  }
}

// Gemini parts: text, functionCall, functionResponse.
void gemini_parts(const Value& content, std::vector<MessagePart>& out) {
  const Value* parts = array(content, "parts");
  if (!parts) return;
  for (const Value& p : parts->GetArray()) {
    if (const Value* t = get(p, "text"); t && t->IsString()) {
      out.push_back(text_part(text_of(*t)));
    } else if (const Value* call = get(p, "functionCall")) {
      out.push_back(tool_call(str(*call, "id"), str(*call, "name"), get(*call, "args")));
    } else if (const Value* r = get(p, "functionResponse")) {
      const Value* response = get(*r, "response");
      out.push_back(tool_response(str(*r, "id").empty() ? str(*r, "name") : str(*r, "id"),
                                  response ? to_json(*response) : ""));
    }
  }
}

void gemini_input(const Value& root, std::vector<MessagePart>& system,
                  std::vector<Message>& input) {
  const Value* s = get(root, "systemInstruction");
  if (!s) s = get(root, "system_instruction");
  if (s) gemini_parts(*s, system);
  if (const Value* contents = array(root, "contents")) {
    for (const Value& c : contents->GetArray()) {
      Message msg;
      std::string_view role = str(c, "role");
      msg.role = role == "model" ? "assistant" : role.empty() ? "user" : std::string(role);
      gemini_parts(c, msg.parts);
      input.push_back(std::move(msg));
    }
  }
}

// One non-streaming response body's output messages.
void openai_chat_output(const Value& root, std::vector<Message>& out) {
  const Value* choices = array(root, "choices");
  if (!choices) return;
  for (const Value& c : choices->GetArray()) {
    Message msg;
    msg.role = "assistant";
    msg.finish_reason = std::string(str(c, "finish_reason"));
    if (const Value* m = get(c, "message")) {
      if (const Value* content = get(*m, "content")) content_parts(*content, msg.parts);
      std::string_view refusal = str(*m, "refusal");
      if (!refusal.empty()) msg.parts.push_back(text_part(refusal));
      openai_tool_calls(*m, msg.parts);
    } else if (const Value* t = get(c, "text"); t && t->IsString()) {
      msg.parts.push_back(text_part(text_of(*t)));
    }
    out.push_back(std::move(msg));
  }
}

void responses_output(const Value& root, std::vector<Message>& out) {
  const Value* output = array(root, "output");
  if (!output) return;
  Message msg;
  msg.role = "assistant";
  for (const Value& item : output->GetArray()) {
    std::string_view type = str(item, "type");
    if (type == "message") {
      if (const Value* content = get(item, "content")) content_parts(*content, msg.parts);
    } else if (type == "function_call") {
      msg.parts.push_back(
          tool_call(str(item, "call_id"), str(item, "name"), get(item, "arguments")));
    }
  }
  std::string_view status = str(root, "status");
  msg.finish_reason = status == "completed" ? "stop" : std::string(status);
  out.push_back(std::move(msg));
}

void anthropic_output(const Value& root, std::vector<Message>& out) {
  Message msg;
  msg.role = "assistant";
  if (const Value* content = get(root, "content")) content_parts(*content, msg.parts);
  msg.finish_reason = std::string(str(root, "stop_reason"));
  out.push_back(std::move(msg));
}

// One response object (or one element of the JSON-array stream) into `msg`.
void gemini_output(const Value& root, Message& msg) {
  const Value* candidates = array(root, "candidates");
  if (!candidates || candidates->Empty()) return;
  const Value& c = (*candidates)[0];
  if (const Value* content = get(c, "content")) gemini_parts(*content, msg.parts);
  std::string_view reason = str(c, "finishReason");
  if (!reason.empty()) msg.finish_reason = std::string(reason);
}

// Writes the parts of one message; false once the budget ran out (the text was cut).
class Writer {
 public:
  Writer(std::string& out, size_t budget) : out_(out), budget_(budget) {}
  bool spent() const { return spent_; }
  bool truncated() const { return truncated_; }

  // A JSON string of budgeted text.
  void text(std::string_view s) {
    if (s.size() <= budget_) {
      budget_ -= s.size();
      route::append_json_string(out_, s);
      return;
    }
    std::string cut(s.substr(0, utf8_prefix_length(s, budget_)));
    cut += kTruncatedMark;
    route::append_json_string(out_, cut);
    budget_ = 0;
    spent_ = truncated_ = true;
  }
  void key(std::string_view k) {
    route::append_json_string(out_, k);
    out_ += ':';
  }
  void parts(const std::vector<MessagePart>& parts) {
    out_ += '[';
    bool first = true;
    for (const MessagePart& p : parts) {
      if (spent_) break;
      if (!first) out_ += ',';
      first = false;
      out_ += '{';
      key("type");
      route::append_json_string(out_, p.type);
      if (!p.id.empty()) {
        out_ += ',';
        key("id");
        route::append_json_string(out_, p.id);
      }
      if (!p.name.empty()) {
        out_ += ',';
        key("name");
        route::append_json_string(out_, p.name);
      }
      if (p.type == "tool_call") {
        out_ += ',';
        key("arguments");
        // JSON arguments are written as they came unless they must be cut: then the cut
        // text goes in as a string.
        if (p.arguments_json && p.arguments.size() <= budget_) {
          budget_ -= p.arguments.size();
          out_ += p.arguments;
        } else {
          text(p.arguments);
        }
      } else {
        out_ += ',';
        key(p.type == "tool_call_response" ? "response" : "content");
        text(p.content);
      }
      out_ += '}';
    }
    out_ += ']';
  }

 private:
  std::string& out_;
  size_t budget_;
  bool spent_ = false;
  bool truncated_ = false;
};

}  // namespace

size_t utf8_prefix_length(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text.size();
  size_t i = max_bytes;
  // Step back over at most three continuation bytes to the start of the character that
  // straddles the cut.
  for (int back = 0; back < 3 && i > 0 && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80;
       ++back)
    --i;
  if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) return max_bytes;  // not UTF-8
  return i;
}

std::string messages_json(const std::vector<Message>& messages, size_t max_bytes, bool& truncated) {
  std::string out = "[";
  Writer w(out, max_bytes);
  bool first = true;
  for (const Message& m : messages) {
    if (w.spent()) break;
    if (!first) out += ',';
    first = false;
    out += '{';
    w.key("role");
    route::append_json_string(out, m.role);
    out += ',';
    w.key("parts");
    w.parts(m.parts);
    if (!m.finish_reason.empty()) {
      out += ',';
      w.key("finish_reason");
      route::append_json_string(out, m.finish_reason);
    }
    out += '}';
  }
  out += ']';
  truncated = truncated || w.truncated();
  return out;
}

std::string parts_json(const std::vector<MessagePart>& parts, size_t max_bytes, bool& truncated) {
  std::string out;
  Writer w(out, max_bytes);
  w.parts(parts);
  truncated = truncated || w.truncated();
  return out;
}

void ContentCapture::on_request(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return;
  switch (api_) {
    case scan::ResponseApi::openai_chat:
      openai_chat_input(doc, system_, input_);
      break;
    case scan::ResponseApi::openai_responses:
      responses_input(doc, system_, input_);
      break;
    case scan::ResponseApi::anthropic:
      anthropic_input(doc, system_, input_);
      break;
    case scan::ResponseApi::gemini:
      gemini_input(doc, system_, input_);
      break;
  }
}

void ContentCapture::append_text(std::string_view text) {
  streamed_any_ = true;
  if (stream_over_cap_ || text.empty()) return;
  size_t room = max_bytes_ - std::min(max_bytes_, streamed_.size());
  if (text.size() > room) {
    streamed_.append(text.substr(0, utf8_prefix_length(text, room)));
    stream_over_cap_ = true;
    return;
  }
  streamed_.append(text);
}

void ContentCapture::on_event(const scan::SseEvent& event) {
  if (!event.has_data || event.data.empty() || event.data.front() != '{') return;
  rapidjson::Document doc;
  doc.Parse(event.data.data(), event.data.size());
  if (doc.HasParseError() || !doc.IsObject()) return;
  switch (api_) {
    case scan::ResponseApi::openai_chat: {
      const Value* choices = array(doc, "choices");
      if (!choices || choices->Empty()) return;
      const Value& c = (*choices)[0];
      if (const Value* delta = get(c, "delta")) append_text(str(*delta, "content"));
      append_text(str(c, "text"));
      std::string_view reason = str(c, "finish_reason");
      if (!reason.empty()) finish_reason_ = std::string(reason);
      streamed_any_ = true;
      return;
    }
    case scan::ResponseApi::openai_responses: {
      std::string_view type = str(doc, "type");
      if (type == "response.output_text.delta") append_text(str(doc, "delta"));
      if (type == "response.completed") finish_reason_ = "stop";
      if (type == "response.incomplete") finish_reason_ = "length";
      return;
    }
    case scan::ResponseApi::anthropic: {
      std::string_view type = str(doc, "type");
      const Value* delta = get(doc, "delta");
      if (!delta) return;
      if (type == "content_block_delta" && str(*delta, "type") == "text_delta")
        append_text(str(*delta, "text"));
      if (type == "message_delta") {
        std::string_view reason = str(*delta, "stop_reason");
        if (!reason.empty()) finish_reason_ = std::string(reason);
      }
      return;
    }
    case scan::ResponseApi::gemini: {
      Message m;
      gemini_output(doc, m);
      for (const MessagePart& p : m.parts)
        if (p.type == "text") append_text(p.content);
      if (!m.finish_reason.empty()) finish_reason_ = m.finish_reason;
      streamed_any_ = true;
      return;
    }
  }
}

void ContentCapture::on_body(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError()) return;
  switch (api_) {
    case scan::ResponseApi::openai_chat:
      openai_chat_output(doc, output_);
      break;
    case scan::ResponseApi::openai_responses:
      responses_output(doc, output_);
      break;
    case scan::ResponseApi::anthropic:
      anthropic_output(doc, output_);
      break;
    case scan::ResponseApi::gemini: {
      Message msg;
      msg.role = "assistant";
      if (doc.IsArray())  // streamGenerateContent without alt=sse: an array of responses
        for (const Value& v : doc.GetArray()) gemini_output(v, msg);
      else
        gemini_output(doc, msg);
      output_.push_back(std::move(msg));
      break;
    }
  }
}

CapturedContent ContentCapture::finish() {
  CapturedContent c;
  if (!system_.empty()) c.system_instructions = parts_json(system_, max_bytes_, c.truncated);
  if (!input_.empty()) c.input_messages = messages_json(input_, max_bytes_, c.truncated);
  if (streamed_any_) {
    Message m;
    m.role = "assistant";
    m.finish_reason = finish_reason_;
    if (!streamed_.empty() || stream_over_cap_) {
      if (stream_over_cap_) {
        streamed_ += kTruncatedMark;
        c.truncated = true;
      }
      // The cap was applied as the text arrived; the mark may go past it.
      m.parts.push_back(text_part(streamed_));
    }
    output_.push_back(std::move(m));
    c.output_messages = messages_json(output_, max_bytes_ + kTruncatedMark.size(), c.truncated);
  } else if (!output_.empty()) {
    c.output_messages = messages_json(output_, max_bytes_, c.truncated);
  }
  return c;
}

}  // namespace sluice::telemetry
