// Anthropic Messages requests: reading one into the neutral form, writing one.

#include <algorithm>

#include "ir.h"
#include "sluice/core/append_number.h"
#include "sluice/core/json_string.h"

namespace sluice::translate::ir {
namespace {

using json::Value;

bool read_media(const Value& block, Part& media, std::string& error) {
  media.kind = Part::Kind::media;
  const Value* source = json::object(&block, "source");
  const std::string_view type = json::string(source, "type");
  if (type == "base64") {
    media.media_type = std::string(json::string(source, "media_type"));
    media.data = std::string(json::string(source, "data"));
  } else if (type == "url") {
    media.url = std::string(json::string(source, "url"));
  } else if (type == "text") {  // a plain-text document
    media.kind = Part::Kind::text;
    media.text = std::string(json::string(source, "data"));
  } else {
    error = "an " + std::string(json::string(&block, "type")) + " block with a source of type \"" +
            std::string(type) + "\" cannot be translated (base64 and url can)";
    return false;
  }
  if (json::string(&block, "type") == "document" && media.media_type.empty() &&
      media.kind == Part::Kind::media) {
    media.media_type = "application/pdf";
  }
  return true;
}

}  // namespace

// A Gemini signature carried in a thinking block (see the response writer) attaches to
// the part after it (kGeminiSignaturePrefix) or to the text before it
// (kGeminiTextSignaturePrefix); a real Anthropic one stays a thinking block.
bool read_anthropic_blocks(const Value* content, std::vector<Part>& parts, std::string& error,
                           bool skip_unknown) {
  if (content == nullptr) return true;
  if (content->IsString()) {
    parts.push_back({.kind = Part::Kind::text, .text = std::string(json::string_of(content))});
    return true;
  }
  if (!content->IsArray()) {
    error = "content must be a string or an array of blocks";
    return false;
  }
  parts.reserve(parts.size() + content->Size());
  std::string pending_signature;
  for (const Value& b : content->GetArray()) {
    const std::string_view type = json::string(&b, "type");
    Part part;
    if (type == "text") {
      part = {.kind = Part::Kind::text, .text = std::string(json::string(&b, "text"))};
    } else if (type == "image" || type == "document") {
      if (!read_media(b, part, error)) return false;
    } else if (type == "tool_use") {
      const Value* input = json::object(&b, "input");
      part = {.kind = Part::Kind::tool_call,
              .id = std::string(json::string(&b, "id")),
              .name = std::string(json::string(&b, "name")),
              .arguments = input ? to_text(*input) : "{}"};
    } else if (type == "tool_result") {
      part = {.kind = Part::Kind::tool_result, .id = std::string(json::string(&b, "tool_use_id"))};
      const Value* is_error = json::member(&b, "is_error");
      part.is_error = is_error && is_error->IsBool() && is_error->GetBool();
      if (!read_anthropic_blocks(json::member(&b, "content"), part.nested, error, skip_unknown))
        return false;
    } else if (type == "thinking") {
      const std::string_view sig = json::string(&b, "signature");
      if (sig.substr(0, kGeminiTextSignaturePrefix.size()) == kGeminiTextSignaturePrefix) {
        std::string text_sig(sig.substr(kGeminiTextSignaturePrefix.size()));
        if (!parts.empty() && parts.back().kind == Part::Kind::text &&
            parts.back().signature.empty()) {
          parts.back().signature = std::move(text_sig);
        } else {
          // Its text was empty (Gemini signs the end of an answer so): an empty part.
          parts.push_back({.kind = Part::Kind::text, .signature = std::move(text_sig)});
        }
        parts.back().signature_from = SignatureFrom::gemini;
        continue;
      }
      if (sig.substr(0, kGeminiSignaturePrefix.size()) == kGeminiSignaturePrefix) {
        pending_signature = std::string(sig.substr(kGeminiSignaturePrefix.size()));
        continue;
      }
      part = {.kind = Part::Kind::thinking,
              .text = std::string(json::string(&b, "thinking")),
              .signature = std::string(sig),
              .signature_from = SignatureFrom::anthropic};
    } else if (type == "redacted_thinking") {
      part = {.kind = Part::Kind::redacted_thinking,
              .data = std::string(json::string(&b, "data")),
              .signature_from = SignatureFrom::anthropic};
    } else if (skip_unknown) {
      continue;
    } else {
      error = "a content block of type \"" + std::string(type) + "\" cannot be translated";
      return false;
    }
    if (!pending_signature.empty() &&
        (part.kind == Part::Kind::text || part.kind == Part::Kind::tool_call)) {
      part.signature = std::move(pending_signature);
      part.signature_from = SignatureFrom::gemini;
      pending_signature.clear();
    }
    parts.push_back(std::move(part));
  }
  if (!pending_signature.empty()) {
    // No part followed the signature: it stays, on an empty text part, as Gemini sends it.
    parts.push_back({.kind = Part::Kind::text,
                     .signature = std::move(pending_signature),
                     .signature_from = SignatureFrom::gemini});
  }
  return true;
}

namespace {

bool read_tool_choice(const Value& body, Request& req, std::string& error) {
  const Value* choice = json::object(&body, "tool_choice");
  if (choice == nullptr) return true;
  const std::string_view type = json::string(choice, "type");
  if (type == "auto") {
    req.tool_choice = ToolChoice::auto_;
  } else if (type == "any") {
    req.tool_choice = ToolChoice::required;
  } else if (type == "none") {
    req.tool_choice = ToolChoice::none;
  } else if (type == "tool") {
    req.tool_choice = ToolChoice::named;
    req.tool_choice_name = std::string(json::string(choice, "name"));
  } else {
    error = "tool_choice.type must be auto, any, tool or none";
    return false;
  }
  if (const Value* d = json::member(choice, "disable_parallel_tool_use"); d && d->IsBool()) {
    req.parallel_tool_calls = !d->GetBool();
  }
  return true;
}

bool known_member(std::string_view k) {
  for (std::string_view known :
       {"model", "messages", "system", "max_tokens", "tools", "tool_choice", "temperature", "top_p",
        "top_k", "stop_sequences", "stream", "thinking", "metadata"}) {
    if (k == known) return true;
  }
  return false;
}

}  // namespace

bool read_anthropic_request(const Value& body, Request& req, std::string& error) {
  if (!body.IsObject()) {
    error = "the body must be a JSON object";
    return false;
  }
  const Value* messages = json::array(&body, "messages");
  if (messages == nullptr) {
    error = "messages must be an array";
    return false;
  }
  if (!read_anthropic_blocks(json::member(&body, "system"), req.system, error)) return false;
  req.messages.reserve(messages->Size());
  for (const Value& m : messages->GetArray()) {
    const std::optional<Role> role = role_from(ApiFlavor::anthropic, json::string(&m, "role"));
    if (!role) {
      error = "a message's role must be user or assistant";
      return false;
    }
    Message msg{.role = *role};
    if (!read_anthropic_blocks(json::member(&m, "content"), msg.parts, error)) return false;
    req.messages.push_back(std::move(msg));
  }
  if (const Value* tools = json::array(&body, "tools")) {
    for (const Value& t : tools->GetArray()) {
      const std::string_view type = json::string(&t, "type", "custom");
      if (type != "custom" || json::object(&t, "input_schema") == nullptr) {
        req.dropped.push_back("tools[" + std::string(json::string(&t, "name", type)) + "]");
        continue;
      }
      const std::string schema = to_text(*json::object(&t, "input_schema"));
      if (json::string(&t, "name") == kOutputTool) {
        // sluice's own structured-output tool (a request it wrote): JSON output again.
        req.json_output = true;
        if (schema != R"({"type":"object"})") {
          req.output_schema = schema;
          req.output_schema_name = "response";
        }
        continue;
      }
      req.tools.push_back({.name = std::string(json::string(&t, "name")),
                           .description = std::string(json::string(&t, "description")),
                           .parameters = schema});
    }
  }
  if (!read_tool_choice(body, req, error)) return false;
  if (req.json_output && req.tool_choice == ToolChoice::named &&
      req.tool_choice_name == kOutputTool) {
    req.tool_choice = ToolChoice::unset;
    req.tool_choice_name.clear();
  }
  req.temperature = number(&body, "temperature");
  req.top_p = number(&body, "top_p");
  req.top_k = integer(&body, "top_k");
  if (auto v = integer(&body, "max_tokens"); v && *v > 0)
    req.max_tokens = static_cast<uint64_t>(*v);
  if (const Value* stop = json::array(&body, "stop_sequences")) {
    for (const Value& s : stop->GetArray()) {
      if (s.IsString()) req.stop.emplace_back(json::string_of(&s));
    }
  }
  if (const Value* s = json::member(&body, "stream"); s && s->IsBool()) req.stream = s->GetBool();
  req.user = std::string(json::string(json::object(&body, "metadata"), "user_id"));
  if (const Value* thinking = json::object(&body, "thinking")) {
    const std::string_view type = json::string(thinking, "type");
    if (type == "enabled") {
      req.thinking_budget = integer(thinking, "budget_tokens").value_or(8192);
      req.include_thoughts = true;
    } else if (type == "disabled") {
      req.thinking_budget = 0;
    }
  }
  for (auto it = body.MemberBegin(); it != body.MemberEnd(); ++it) {
    std::string_view k(it->name.GetString(), it->name.GetStringLength());
    if (!known_member(k)) req.dropped.emplace_back(k);
  }
  return true;
}

// ---- writing --------------------------------------------------------------------------

namespace {

bool append_media(std::string& out, const Part& p, std::string& error) {
  const bool image = p.media_type.rfind("image/", 0) == 0 || p.media_type.empty();
  const bool pdf = p.media_type == "application/pdf";
  if (!image && !pdf) {
    error = "Anthropic accepts images and PDF documents, not " + p.media_type;
    return false;
  }
  if (gemini_only_uri(p.url)) {
    error = "Anthropic cannot read " + p.url + ": only Gemini reads its Files API and gs:// URIs";
    return false;
  }
  out += image ? R"({"type":"image","source":)" : R"({"type":"document","source":)";
  if (!p.url.empty()) {
    out += R"({"type":"url","url":)";
    core::append_json_string(out, p.url);
  } else {
    out += R"({"type":"base64","media_type":)";
    core::append_json_string(out, p.media_type);
    out += R"(,"data":)";
    core::append_json_string(out, p.data);
  }
  out += "}}";
  return true;
}

// One block; false with `wrote` unset for a part Anthropic does not take (an empty text,
// a signature from another provider).
bool append_block(std::string& out, const Part& p, bool& wrote, std::string& error) {
  wrote = true;
  switch (p.kind) {
    case Part::Kind::text:
      if (p.text.empty()) break;  // Anthropic refuses empty text blocks
      out += R"({"type":"text","text":)";
      core::append_json_string(out, p.text);
      out += '}';
      return true;
    case Part::Kind::media:
      return append_media(out, p, error);
    case Part::Kind::tool_call:
      out += R"({"type":"tool_use","id":)";
      core::append_json_string(out, safe_tool_id(p.id));
      out += R"(,"name":)";
      core::append_json_string(out, p.name);
      out += R"(,"input":)";
      out += p.arguments.empty() ? "{}" : p.arguments;
      out += '}';
      return true;
    case Part::Kind::tool_result: {
      out += R"({"type":"tool_result","tool_use_id":)";
      core::append_json_string(out, safe_tool_id(p.id));
      out += R"(,"content":)";
      bool all_text = true;
      for (const Part& n : p.nested) all_text = all_text && n.kind == Part::Kind::text;
      if (!p.arguments.empty()) {
        core::append_json_string(out, p.arguments);
      } else if (all_text) {
        core::append_json_string(out, joined_text(p.nested));  // "" for an empty result
      } else {
        out += '[';
        bool first = true;
        for (const Part& n : p.nested) {
          if (n.kind == Part::Kind::text && n.text.empty()) continue;
          if (!first) out += ',';
          first = false;
          bool inner = false;
          if (!append_block(out, n, inner, error)) return false;
        }
        out += ']';
      }
      if (p.is_error) out += R"(,"is_error":true)";
      out += '}';
      return true;
    }
    case Part::Kind::thinking:
      // Anthropic checks every signature: a block without one cannot go back.
      if (p.signature_from != SignatureFrom::anthropic || p.signature.empty()) break;
      out += R"({"type":"thinking","thinking":)";
      core::append_json_string(out, p.text);
      out += R"(,"signature":)";
      core::append_json_string(out, p.signature);
      out += '}';
      return true;
    case Part::Kind::redacted_thinking:
      if (p.signature_from != SignatureFrom::anthropic) break;
      out += R"({"type":"redacted_thinking","data":)";
      core::append_json_string(out, p.data);
      out += '}';
      return true;
  }
  wrote = false;
  return true;
}

// Consecutive messages of one role become one (tool results and the user's next text
// arrive in OpenAI as separate messages; Anthropic wants them in one user turn).
bool append_messages(std::string& out, const Request& in, std::string& error) {
  out += '[';
  Turns turns{out, "content"};
  for (const Message& m : in.messages) {
    turns.start(role_name(ApiFlavor::anthropic, m.role));
    // Tool results first in their turn, as Anthropic requires.
    for (int pass = 0; pass < 2; ++pass) {
      for (const Part& p : m.parts) {
        if ((p.kind == Part::Kind::tool_result) != (pass == 0)) continue;
        const size_t mark = turns.part_begin();
        bool wrote = false;
        if (!append_block(out, p, wrote, error)) return false;
        turns.part_end(mark, wrote);
      }
    }
  }
  turns.close();
  out += ']';
  return true;
}

// Thinking as Anthropic takes it: on or off, its budget, and the max_tokens around it.
struct ThinkingPlan {
  bool on = false;
  uint64_t budget = 0;
  uint64_t max_tokens = 0;
};

ThinkingPlan plan_thinking(const Request& in, const RequestOptions& options,
                           std::vector<Param>& dropped) {
  ThinkingPlan plan;
  // Anthropic refuses thinking together with a forced tool (a named or required
  // tool_choice, or the structured-output tool): the tool wins, thinking is dropped.
  const bool forced = (!in.tools.empty() && (in.tool_choice == ToolChoice::required ||
                                             in.tool_choice == ToolChoice::named)) ||
                      (in.json_output && in.tool_choice == ToolChoice::unset);
  plan.on = in.thinking_budget && *in.thinking_budget != 0;
  if (plan.on && forced) {
    dropped.push_back(Param::thinking);
    plan.on = false;
  }
  // Anthropic counts thinking inside max_tokens, as OpenAI and Gemini do, but also
  // wants the budget (at least 1024) below it. A budget that does not fit becomes half
  // the limit; under a limit too small to halve (2048), it is added on top instead.
  if (plan.on) {
    plan.budget = *in.thinking_budget < 1024 ? 8192 : static_cast<uint64_t>(*in.thinking_budget);
  }
  plan.max_tokens = in.max_tokens.value_or(options.default_max_tokens);
  if (plan.on && plan.budget >= plan.max_tokens) {
    if (plan.max_tokens >= 2048) {
      plan.budget = plan.max_tokens / 2;
    } else {
      plan.max_tokens += plan.budget;
    }
  }
  return plan;
}

// The client's tools, and the structured-output tool when JSON output was asked for.
void append_tools(Members& o, const Request& in) {
  std::string& out = o.out;
  // Structured output rides on a tool the model is made to call (docs/TRANSLATION.md);
  // the response translator turns that call back into the answer's text.
  const bool output_tool = in.json_output;
  if (!in.tools.empty() || output_tool) {
    o.key("tools") += '[';
    bool first = true;
    for (const Tool& t : in.tools) {
      if (!first) out += ',';
      first = false;
      out += R"({"name":)";
      core::append_json_string(out, t.name);
      if (!t.description.empty()) {
        out += R"(,"description":)";
        core::append_json_string(out, t.description);
      }
      out += R"(,"input_schema":)";
      append_schema_text(out, t.parameters, ApiFlavor::anthropic);
      out += '}';
    }
    if (output_tool) {
      if (!first) out += ',';
      out += R"({"name":")";
      out.append(kOutputTool);
      out +=
          R"(","description":"Give the answer by calling this tool with it as input.","input_schema":)";
      if (in.output_schema.empty()) {
        out += R"({"type":"object"})";
      } else {
        append_schema_text(out, in.output_schema, ApiFlavor::anthropic);
      }
      out += '}';
    }
    out += ']';
  }
}

void append_tool_choice(Members& o, const Request& in) {
  std::string& out = o.out;
  const bool output_tool = in.json_output;
  const bool no_parallel = in.parallel_tool_calls && !*in.parallel_tool_calls;
  auto close_choice = [&] {
    if (no_parallel) out += R"(,"disable_parallel_tool_use":true)";
    out += '}';
  };
  ToolChoice choice = in.tool_choice;
  std::string_view choice_name = in.tool_choice_name;
  if (output_tool && choice == ToolChoice::unset) {
    choice = ToolChoice::named;
    choice_name = kOutputTool;
  }
  // A tool_choice without tools is refused by every provider: it goes with them.
  if (in.tools.empty() && !output_tool) choice = ToolChoice::unset;
  switch (choice) {
    case ToolChoice::unset:
      if (no_parallel && !in.tools.empty()) {
        o.key("tool_choice") += R"({"type":"auto")";
        close_choice();
      }
      break;
    case ToolChoice::auto_:
      o.key("tool_choice") += R"({"type":"auto")";
      close_choice();
      break;
    case ToolChoice::none:
      o.key("tool_choice") += R"({"type":"none"})";
      break;
    case ToolChoice::required:
      o.key("tool_choice") += R"({"type":"any")";
      close_choice();
      break;
    case ToolChoice::named:
      o.key("tool_choice") += R"({"type":"tool","name":)";
      core::append_json_string(out, choice_name);
      close_choice();
      break;
  }
}

}  // namespace

bool write_anthropic_request(const Request& in, ApiFlavor, const RequestOptions& options,
                             std::string& out, std::vector<Param>& dropped, std::string& error) {
  out += '{';
  Members o{out};
  core::append_json_string(o.key("model"), options.model);
  const ThinkingPlan plan = plan_thinking(in, options, dropped);
  const bool thinking = plan.on;
  core::append_uint(o.key("max_tokens"), plan.max_tokens);
  if (!joined_text(in.system).empty()) {
    o.key("system") += '[';
    bool first = true;
    for (const Part& p : in.system) {
      if (p.kind != Part::Kind::text || p.text.empty()) continue;
      if (!first) out += ',';
      first = false;
      out += R"({"type":"text","text":)";
      core::append_json_string(out, p.text);
      out += '}';
    }
    out += ']';
  }
  if (!append_messages(o.key("messages"), in, error)) return false;
  append_tools(o, in);
  append_tool_choice(o, in);
  // With thinking on, Anthropic allows neither a changed temperature nor top_p below 0.95.
  if (in.temperature) {
    if (thinking && *in.temperature != 1.0) {
      dropped.push_back(Param::temperature_with_thinking);
    } else {
      // Anthropic takes 0..1 where OpenAI and Gemini take 0..2.
      append_double(o.key("temperature"), std::min(*in.temperature, 1.0));
    }
  }
  if (in.top_p) {
    if (thinking && *in.top_p < 0.95) {
      dropped.push_back(Param::top_p_with_thinking);
    } else {
      append_double(o.key("top_p"), *in.top_p);
    }
  }
  if (in.top_k) o.key("top_k") += std::to_string(*in.top_k);
  if (!in.stop.empty()) {
    o.key("stop_sequences") += '[';
    for (size_t i = 0; i < in.stop.size(); ++i) {
      if (i > 0) out += ',';
      core::append_json_string(out, in.stop[i]);
    }
    out += ']';
  }
  if (thinking) {
    o.key("thinking") += R"({"type":"enabled","budget_tokens":)";
    core::append_uint(out, plan.budget);
    out += '}';
  }
  if (!in.user.empty()) {
    o.key("metadata") += R"({"user_id":)";
    core::append_json_string(out, in.user);
    out += '}';
  }
  if (in.stream) o.key("stream") += "true";
  if (in.seed) dropped.push_back(Param::seed);
  if (in.presence_penalty) dropped.push_back(Param::presence_penalty);
  if (in.frequency_penalty) dropped.push_back(Param::frequency_penalty);
  if (in.n && *in.n > 1) dropped.push_back(Param::n);
  if (in.logprobs) dropped.push_back(Param::logprobs);
  out += '}';
  return true;
}

}  // namespace sluice::translate::ir
