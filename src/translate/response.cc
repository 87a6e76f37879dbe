// Whole (non-streamed) responses and provider errors, read into the neutral form and
// written in the client's format.

#include <cstdlib>

#include "ir.h"
#include "sluice/core/append_number.h"
#include "sluice/core/json_string.h"
#include "sluice/translate/translate.h"

namespace sluice::translate {
namespace ir {
namespace {

using json::Value;

bool has_tool_call(const Response& r) {
  for (const Part& p : r.parts) {
    if (p.kind == Part::Kind::tool_call) return true;
  }
  return false;
}

std::string_view google_signature(const Value* v) {
  return json::string(json::object(json::object(v, "extra_content"), "google"),
                      "thought_signature");
}

}  // namespace

// ---- reading --------------------------------------------------------------------------

bool read_openai_response(const Value& body, Response& out, std::string& error) {
  const Value* choices = json::array(&body, "choices");
  if (choices == nullptr || choices->Empty() || !(*choices)[0].IsObject()) {
    error = "the provider's answer has no choices";
    return false;
  }
  const Value& choice = (*choices)[0];
  const Value* m = json::object(&choice, "message");
  out.id = std::string(json::string(&body, "id"));
  // Thinking as sluice writes it for OpenAI clients (write_openai_response): Anthropic's
  // blocks in thinking_blocks, else plain reasoning_content.
  if (const Value* blocks = json::array(m, "thinking_blocks"); blocks && !blocks->Empty()) {
    if (!read_anthropic_blocks(blocks, out.parts, error, true)) return false;
  } else if (const std::string_view reasoning = json::string(m, "reasoning_content");
             !reasoning.empty()) {
    out.parts.push_back({.kind = Part::Kind::thinking, .text = std::string(reasoning)});
  }
  const std::string_view text_signature = google_signature(m);
  const std::string_view content = json::string(m, "content");
  if (!content.empty() || !text_signature.empty()) {
    Part text{.kind = Part::Kind::text, .text = std::string(content)};
    if (!text_signature.empty()) {
      text.signature = std::string(text_signature);
      text.signature_from = SignatureFrom::gemini;
    }
    out.parts.push_back(std::move(text));
  }
  const std::string_view refusal = json::string(m, "refusal");
  if (!refusal.empty())
    out.parts.push_back({.kind = Part::Kind::text, .text = std::string(refusal)});
  if (const Value* calls = json::array(m, "tool_calls")) {
    for (const Value& c : calls->GetArray()) {
      const Value* fn = json::object(&c, "function");
      out.parts.push_back({.kind = Part::Kind::tool_call,
                           .id = std::string(json::string(&c, "id")),
                           .name = std::string(json::string(fn, "name")),
                           .arguments = object_text(json::string(fn, "arguments", "{}"))});
      if (const std::string_view sig = google_signature(&c); !sig.empty()) {
        out.parts.back().signature = std::string(sig);
        out.parts.back().signature_from = SignatureFrom::gemini;
      }
    }
  }
  out.finish = finish_from_openai(json::string(&choice, "finish_reason"));
  // vLLM and other OpenAI-compatible servers name the stop string that matched.
  if (const std::string_view sequence = json::string(&choice, "stop_reason");
      json::string(&choice, "finish_reason") == "stop" && !sequence.empty()) {
    out.finish = FinishReason::stop_sequence;
    out.stop_sequence = std::string(sequence);
  }
  if (!refusal.empty()) out.finish = FinishReason::content_filter;
  const Value* u = json::object(&body, "usage");
  out.usage = tokens_from_openai(
      json::uint(u, "prompt_tokens"), json::uint(u, "completion_tokens"),
      json::uint(json::object(u, "prompt_tokens_details"), "cached_tokens"),
      json::uint(json::object(u, "completion_tokens_details"), "reasoning_tokens"));
  return true;
}

bool read_anthropic_response(const Value& body, Response& out, std::string& error) {
  const Value* content = json::array(&body, "content");
  if (content == nullptr) {
    error = "the provider's answer has no content";
    return false;
  }
  out.id = std::string(json::string(&body, "id"));
  if (!read_anthropic_blocks(content, out.parts, error, true)) return false;
  bool output_tool = false;
  for (Part& p : out.parts) {
    if (p.kind == Part::Kind::tool_call && p.name == kOutputTool) {
      // Structured output asked through the forced tool: its input is the answer.
      p = {.kind = Part::Kind::text, .text = std::move(p.arguments)};
      output_tool = true;
    }
  }
  out.finish = finish_from_anthropic(json::string(&body, "stop_reason"));
  out.stop_sequence = std::string(json::string(&body, "stop_sequence"));
  if (output_tool && out.finish == FinishReason::tool_use && !has_tool_call(out)) {
    out.finish = FinishReason::end_turn;
  }
  const Value* u = json::object(&body, "usage");
  out.usage = tokens_from_anthropic(json::uint(u, "input_tokens"), json::uint(u, "output_tokens"),
                                    json::uint(u, "cache_read_input_tokens"),
                                    json::uint(u, "cache_creation_input_tokens"));
  return true;
}

bool read_gemini_response(const Value& body, Response& out, std::string& error) {
  const Value* candidates = json::array(&body, "candidates");
  const Value* u = json::object(&body, "usageMetadata");
  out.usage = tokens_from_gemini(
      json::uint(u, "promptTokenCount"), json::uint(u, "candidatesTokenCount"),
      json::uint(u, "cachedContentTokenCount"), json::uint(u, "thoughtsTokenCount"),
      json::uint(u, "toolUsePromptTokenCount"));
  out.id = std::string(json::string(&body, "responseId"));
  if (candidates == nullptr || candidates->Empty()) {
    // A prompt blocked before any answer: promptFeedback.blockReason, no candidates.
    if (json::object(&body, "promptFeedback") != nullptr) {
      out.finish = FinishReason::content_filter;
      return true;
    }
    error = "the provider's answer has no candidates";
    return false;
  }
  const Value& cand = (*candidates)[0];
  if (const Value* parts = json::array(json::object(&cand, "content"), "parts")) {
    CallIds ids;
    ids.response = true;
    for (const Value& p : parts->GetArray()) {
      std::string ignored;  // parts sluice does not translate (executable code) are skipped
      if (!read_gemini_part(p, out.parts, ids, 0, ignored)) continue;
      if (out.parts.back().kind == Part::Kind::media) out.parts.pop_back();
    }
  }
  out.finish = finish_from_gemini(json::string(&cand, "finishReason"), has_tool_call(out));
  return true;
}

// ---- writing --------------------------------------------------------------------------

namespace {

// The id a client sees for a tool call: the provider's when it gave one, made safe for
// Anthropic clients; else one derived from the request id.
std::string client_call_id(const Part& p, ApiFlavor client, const ResponseContext& context) {
  if (!p.id.empty() && p.id[0] == '\x01') {
    return tool_call_id(client, context.request_id,
                        static_cast<uint32_t>(std::strtoul(p.id.c_str() + 1, nullptr, 10)));
  }
  return client == ApiFlavor::anthropic ? safe_tool_id(p.id) : p.id;
}

}  // namespace

void write_openai_response(const Response& in, const ResponseContext& context, std::string& out) {
  out += R"({"id":)";
  append_completion_id_json(out, context.request_id);
  out += R"(,"object":"chat.completion","created":)";
  core::append_uint(out, context.created_s);
  out += R"(,"model":)";
  core::append_json_string(out, context.model);
  out += R"(,"choices":[{"index":0,"message":{"role":"assistant","content":)";
  // The usual answer has one text part: written from the part itself, not a copy.
  const std::string* first_text = nullptr;
  size_t text_parts = 0;
  std::string text;
  std::string reasoning;
  std::string text_signature;
  for (const Part& p : in.parts) {
    if (p.kind == Part::Kind::text) {
      if (text_parts == 0) {
        first_text = &p.text;
      } else {
        if (text_parts == 1) text = *first_text;
        text += p.text;
      }
      ++text_parts;
      if (p.signature_from == SignatureFrom::gemini && text_signature.empty()) {
        text_signature = p.signature;
      }
    } else if (p.kind == Part::Kind::thinking) {
      reasoning += p.text;
      if (p.signature_from == SignatureFrom::gemini && text_signature.empty()) {
        text_signature = p.signature;
      }
    }
  }
  if (text_parts == 1) {
    core::append_json_string(out, *first_text);
  } else if (text_parts > 1) {
    core::append_json_string(out, text);
  } else {
    out += "null";
  }
  out += R"(,"refusal":null)";
  if (!reasoning.empty()) {
    out += R"(,"reasoning_content":)";
    core::append_json_string(out, reasoning);
  }
  // Anthropic's thinking blocks, kept so that the client can send them back.
  bool first = true;
  for (const Part& p : in.parts) {
    if (p.signature_from != SignatureFrom::anthropic) continue;
    out += first ? R"(,"thinking_blocks":[)" : ",";
    first = false;
    if (p.kind == Part::Kind::thinking) {
      out += R"({"type":"thinking","thinking":)";
      core::append_json_string(out, p.text);
      out += R"(,"signature":)";
      core::append_json_string(out, p.signature);
    } else {
      out += R"({"type":"redacted_thinking","data":)";
      core::append_json_string(out, p.data);
    }
    out += '}';
  }
  if (!first) out += ']';
  if (!text_signature.empty()) {
    out += R"(,"extra_content":{"google":{"thought_signature":)";
    core::append_json_string(out, text_signature);
    out += "}}";
  }
  first = true;
  for (const Part& p : in.parts) {
    if (p.kind != Part::Kind::tool_call) continue;
    out += first ? R"(,"tool_calls":[)" : ",";
    first = false;
    out += R"({"id":)";
    core::append_json_string(out, client_call_id(p, ApiFlavor::openai, context));
    out += R"(,"type":"function","function":{"name":)";
    core::append_json_string(out, p.name);
    out += R"(,"arguments":)";
    core::append_json_string(out, p.arguments);
    out += '}';
    if (p.signature_from == SignatureFrom::gemini && !p.signature.empty()) {
      out += R"(,"extra_content":{"google":{"thought_signature":)";
      core::append_json_string(out, p.signature);
      out += "}}";
    }
    out += '}';
  }
  if (!first) out += ']';
  out += R"(},"logprobs":null,"finish_reason":")";
  out.append(openai_finish_reason(in.finish));
  out += R"("}],"usage":)";
  append_usage(out, ApiFlavor::openai, in.usage);
  out += '}';
}

void write_anthropic_response(const Response& in, const ResponseContext& context,
                              std::string& out) {
  out += R"({"id":)";
  append_message_id_json(out, context.request_id);
  out += R"(,"type":"message","role":"assistant","model":)";
  core::append_json_string(out, context.model);
  out += R"(,"content":[)";
  bool first = true;
  auto next = [&] {
    if (!first) out += ',';
    first = false;
  };
  for (const Part& p : in.parts) {
    // A Gemini signature rides in a thinking block just before its call
    // (kGeminiSignaturePrefix) or just after its text (kGeminiTextSignaturePrefix), which
    // the request reader re-attaches.
    const bool gemini_sig = p.signature_from == SignatureFrom::gemini && !p.signature.empty();
    switch (p.kind) {
      case Part::Kind::text:
      case Part::Kind::tool_call:
        if (gemini_sig && p.kind == Part::Kind::tool_call) {
          next();
          out += R"({"type":"thinking","thinking":"","signature":)";
          core::append_json_string(out, std::string(kGeminiSignaturePrefix) + p.signature);
          out += '}';
        }
        if (p.kind == Part::Kind::text) {
          if (!p.text.empty()) {
            next();
            out += R"({"type":"text","text":)";
            core::append_json_string(out, p.text);
            out += '}';
          }
          if (gemini_sig) {
            next();
            out += R"({"type":"thinking","thinking":"","signature":)";
            core::append_json_string(out, std::string(kGeminiTextSignaturePrefix) + p.signature);
            out += '}';
          }
        } else {
          next();
          out += R"({"type":"tool_use","id":)";
          core::append_json_string(out, client_call_id(p, ApiFlavor::anthropic, context));
          out += R"(,"name":)";
          core::append_json_string(out, p.name);
          out += R"(,"input":)";
          out += p.arguments.empty() ? "{}" : p.arguments;
          out += '}';
        }
        break;
      case Part::Kind::thinking:
        next();
        out += R"({"type":"thinking","thinking":)";
        core::append_json_string(out, p.text);
        out += R"(,"signature":)";
        core::append_json_string(
            out, gemini_sig ? std::string(kGeminiSignaturePrefix) + p.signature : p.signature);
        out += '}';
        break;
      case Part::Kind::redacted_thinking:
        next();
        out += R"({"type":"redacted_thinking","data":)";
        core::append_json_string(out, p.data);
        out += '}';
        break;
      case Part::Kind::media:
      case Part::Kind::tool_result:
        break;
    }
  }
  out += R"(],"stop_reason":")";
  out.append(anthropic_stop_reason(in.finish));
  out += R"(","stop_sequence":)";
  if (in.finish == FinishReason::stop_sequence && !in.stop_sequence.empty()) {
    core::append_json_string(out, in.stop_sequence);
  } else {
    out += "null";
  }
  out += R"(,"usage":)";
  append_usage(out, ApiFlavor::anthropic, in.usage);
  out += '}';
}

void write_gemini_response(const Response& in, const ResponseContext& context, std::string& out) {
  out += R"({"candidates":[{"content":{"role":"model","parts":[)";
  bool first = true;
  for (const Part& p : in.parts) {
    const bool gemini_sig = p.signature_from == SignatureFrom::gemini && !p.signature.empty();
    std::string sig;
    if (gemini_sig) sig = p.signature;
    switch (p.kind) {
      case Part::Kind::text:
        if (p.text.empty() && sig.empty()) continue;
        if (!first) out += ',';
        out += R"({"text":)";
        core::append_json_string(out, p.text);
        break;
      case Part::Kind::thinking:
        if (p.signature_from == SignatureFrom::anthropic) {
          sig = std::string(kAnthropicSignaturePrefix) + p.signature;
        }
        if (!first) out += ',';
        out += R"({"text":)";
        core::append_json_string(out, p.text);
        out += R"(,"thought":true)";
        break;
      case Part::Kind::redacted_thinking:
        sig = std::string(kAnthropicSignaturePrefix) + "redacted:" + p.data;
        if (!first) out += ',';
        out += R"({"text":"","thought":true)";
        break;
      case Part::Kind::tool_call:
        if (!first) out += ',';
        out += R"({"functionCall":{"id":)";
        core::append_json_string(out, client_call_id(p, ApiFlavor::gemini, context));
        out += R"(,"name":)";
        core::append_json_string(out, p.name);
        out += R"(,"args":)";
        out += p.arguments.empty() ? "{}" : p.arguments;
        out += '}';
        break;
      case Part::Kind::media:
      case Part::Kind::tool_result:
        continue;
    }
    first = false;
    if (!sig.empty()) {
      out += R"(,"thoughtSignature":)";
      core::append_json_string(out, sig);
    }
    out += '}';
  }
  out += R"(]},"finishReason":")";
  out.append(gemini_finish_reason(in.finish));
  out += R"(","index":0}],"usageMetadata":)";
  append_usage(out, ApiFlavor::gemini, in.usage);
  out += R"(,"modelVersion":)";
  core::append_json_string(out, context.model);
  out += R"(,"responseId":)";
  core::append_json_string(out, context.request_id);
  out += '}';
}

}  // namespace ir

ResponseOut translate_response(ApiFlavor provider, ApiFlavor client, std::string_view body,
                               const ResponseContext& context, ParsedBody* parsed) {
  ResponseOut out;
  json::Document doc;
  if (!json::parse(body, doc, out.message)) {
    out.message = "the provider's answer could not be read: " + out.message;
    return out;
  }
  if (!doc.IsObject()) {
    out.message = "the provider's answer is not a JSON object";
    return out;
  }
  if (parsed != nullptr) parsed->on_parsed(doc);
  ir::Response r;
  bool read = false;
  switch (provider) {
    case ApiFlavor::openai:
      read = ir::read_openai_response(doc, r, out.message);
      break;
    case ApiFlavor::anthropic:
      read = ir::read_anthropic_response(doc, r, out.message);
      break;
    case ApiFlavor::gemini:
      read = ir::read_gemini_response(doc, r, out.message);
      break;
  }
  if (!read) return out;
  out.body.reserve(body.size() + 512);  // one allocation for the answer
  switch (client) {
    case ApiFlavor::openai:
      ir::write_openai_response(r, context, out.body);
      break;
    case ApiFlavor::anthropic:
      ir::write_anthropic_response(r, context, out.body);
      break;
    case ApiFlavor::gemini:
      ir::write_gemini_response(r, context, out.body);
      break;
  }
  out.ok = true;
  return out;
}

}  // namespace sluice::translate
