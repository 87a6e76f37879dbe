// OpenAI Chat Completions requests: reading one into the neutral form, writing one.

#include "ir.h"
#include "sluice/core/append_number.h"
#include "sluice/core/json_string.h"

namespace sluice::translate::ir {
namespace {

using json::Value;

// A user or system message's content: a string or an array of typed parts.
bool read_content(const Value* content, std::vector<Part>& parts, std::string& error) {
  if (content == nullptr || content->IsNull()) return true;
  if (content->IsString()) {
    parts.push_back({.kind = Part::Kind::text, .text = std::string(json::string_of(content))});
    return true;
  }
  if (!content->IsArray()) {
    error = "a message's content must be a string or an array of parts";
    return false;
  }
  for (const Value& p : content->GetArray()) {
    const std::string_view type = json::string(&p, "type");
    if (type == "text" || type == "refusal") {
      parts.push_back({.kind = Part::Kind::text,
                       .text = std::string(json::string(&p, type == "text" ? "text" : "refusal"))});
    } else if (type == "image_url") {
      const Value* image = json::member(&p, "image_url");
      std::string_view url =
          json::is_string(image) ? json::string_of(image) : json::string(image, "url");
      Part media{.kind = Part::Kind::media};
      if (!parse_data_url(url, media.media_type, media.data)) {
        if (url.empty()) {
          error = "an image_url part has no url";
          return false;
        }
        media.url = std::string(url);
      }
      parts.push_back(std::move(media));
    } else if (type == "input_audio") {
      const Value* audio = json::object(&p, "input_audio");
      Part media{.kind = Part::Kind::media};
      media.media_type = "audio/" + std::string(json::string(audio, "format", "wav"));
      media.data = std::string(json::string(audio, "data"));
      parts.push_back(std::move(media));
    } else if (type == "file") {
      const Value* file = json::object(&p, "file");
      Part media{.kind = Part::Kind::media};
      if (!parse_data_url(json::string(file, "file_data"), media.media_type, media.data)) {
        error =
            "a file part is translated only with file_data as a base64 data: URL (file_id "
            "refers to OpenAI's file store, which other providers cannot read)";
        return false;
      }
      parts.push_back(std::move(media));
    } else {
      error = "a content part of type \"" + std::string(type) + "\" cannot be translated";
      return false;
    }
  }
  return true;
}

// Thinking carried on an assistant message: Anthropic's blocks in `thinking_blocks`,
// Gemini's signature for text in `extra_content.google.thought_signature`.
void read_thinking(const Value& m, Message& msg) {
  if (const Value* blocks = json::array(&m, "thinking_blocks")) {
    for (const Value& b : blocks->GetArray()) {
      const std::string_view type = json::string(&b, "type");
      if (type == "thinking") {
        msg.parts.push_back({.kind = Part::Kind::thinking,
                             .text = std::string(json::string(&b, "thinking")),
                             .signature = std::string(json::string(&b, "signature")),
                             .signature_from = SignatureFrom::anthropic});
      } else if (type == "redacted_thinking") {
        msg.parts.push_back({.kind = Part::Kind::redacted_thinking,
                             .data = std::string(json::string(&b, "data")),
                             .signature_from = SignatureFrom::anthropic});
      }
    }
  }
}

std::string_view google_signature(const Value& v) {
  return json::string(json::object(json::object(&v, "extra_content"), "google"),
                      "thought_signature");
}

bool read_message(const Value& m, Request& req, std::string& error) {
  const std::optional<Role> role = role_from(ApiFlavor::openai, json::string(&m, "role"));
  if (!role) {
    error = "a message has no role OpenAI defines (system, developer, user, assistant, tool)";
    return false;
  }
  const Value* content = json::member(&m, "content");
  if (*role == Role::system) return read_content(content, req.system, error);
  Message msg{.role = *role};
  if (*role == Role::tool) {
    // The legacy `function` role names its function instead of a call id.
    Part result{.kind = Part::Kind::tool_result,
                .id = std::string(json::string(&m, "tool_call_id")),
                .name = std::string(json::string(&m, "name"))};
    if (!read_content(content, result.nested, error)) return false;
    msg.parts.push_back(std::move(result));
    req.messages.push_back(std::move(msg));
    return true;
  }
  if (*role == Role::assistant) read_thinking(m, msg);
  if (!read_content(content, msg.parts, error)) return false;
  if (*role == Role::assistant) {
    const std::string_view text_signature = google_signature(m);
    if (!text_signature.empty()) {
      for (Part& p : msg.parts) {
        if (p.kind == Part::Kind::text) {
          p.signature = std::string(text_signature);
          p.signature_from = SignatureFrom::gemini;
          break;
        }
      }
    }
    if (const Value* calls = json::array(&m, "tool_calls")) {
      for (const Value& c : calls->GetArray()) {
        const Value* fn = json::object(&c, "function");
        Part call{.kind = Part::Kind::tool_call,
                  .id = std::string(json::string(&c, "id")),
                  .name = std::string(json::string(fn, "name")),
                  .arguments = object_text(json::string(fn, "arguments", "{}"))};
        const std::string_view sig = google_signature(c);
        if (!sig.empty()) {
          call.signature = std::string(sig);
          call.signature_from = SignatureFrom::gemini;
        }
        msg.parts.push_back(std::move(call));
      }
    }
  }
  req.messages.push_back(std::move(msg));
  return true;
}

bool read_tools(const Value* tools, const Value* choice, const Value* parallel, Request& req,
                std::string& error) {
  if (tools != nullptr && tools->IsArray()) {
    for (const Value& t : tools->GetArray()) {
      if (json::string(&t, "type", "function") != "function") {
        req.dropped.push_back("tools[type=" + std::string(json::string(&t, "type")) + "]");
        continue;
      }
      const Value* fn = json::object(&t, "function");
      Tool tool{.name = std::string(json::string(fn, "name")),
                .description = std::string(json::string(fn, "description"))};
      if (tool.name.empty()) {
        error = "a tool has no function.name";
        return false;
      }
      const Value* params = json::object(fn, "parameters");
      tool.parameters = params ? to_text(*params) : R"({"type":"object","properties":{}})";
      req.tools.push_back(std::move(tool));
    }
  }
  if (choice != nullptr) {
    const std::string_view s = json::string_of(choice);
    if (s == "auto") {
      req.tool_choice = ToolChoice::auto_;
    } else if (s == "none") {
      req.tool_choice = ToolChoice::none;
    } else if (s == "required") {
      req.tool_choice = ToolChoice::required;
    } else if (choice->IsObject()) {
      req.tool_choice = ToolChoice::named;
      req.tool_choice_name = std::string(json::string(json::object(choice, "function"), "name"));
      if (req.tool_choice_name.empty()) {
        error = "tool_choice names no function";
        return false;
      }
    } else {
      error = "tool_choice must be auto, none, required or a named function";
      return false;
    }
  }
  if (parallel != nullptr && parallel->IsBool()) {
    req.parallel_tool_calls = parallel->GetBool();
  }
  return true;
}

void read_response_format(const Value* format, Request& req) {
  if (format != nullptr && !format->IsObject()) format = nullptr;
  const std::string_view type = json::string(format, "type");
  if (type == "json_object") {
    req.json_output = true;
  } else if (type == "json_schema") {
    req.json_output = true;
    const Value* js = json::object(format, "json_schema");
    req.output_schema_name = std::string(json::string(js, "name", "response"));
    if (const Value* schema = json::object(js, "schema")) req.output_schema = to_text(*schema);
  }
}

// The body's top-level members this reader maps, found in one pass over the body (it
// has a handful; the reader asks for some twenty). Any other member is named as dropped.
struct Top {
  const Value* messages = nullptr;
  const Value* tools = nullptr;
  const Value* tool_choice = nullptr;
  const Value* parallel_tool_calls = nullptr;
  const Value* temperature = nullptr;
  const Value* top_p = nullptr;
  const Value* max_tokens = nullptr;
  const Value* max_completion_tokens = nullptr;
  const Value* stop = nullptr;
  const Value* seed = nullptr;
  const Value* presence_penalty = nullptr;
  const Value* frequency_penalty = nullptr;
  const Value* n = nullptr;
  const Value* user = nullptr;
  const Value* stream = nullptr;
  const Value* stream_options = nullptr;
  const Value* response_format = nullptr;
  const Value* reasoning_effort = nullptr;
  const Value* logprobs = nullptr;
  const Value* ignored = nullptr;  // known, read elsewhere or not at all
  // Members no reader maps, in the body's order (named as dropped at the end).
  std::vector<std::string_view> unknown;
};

struct TopKey {
  std::string_view key;
  const Value* Top::*slot;
};

constexpr TopKey kTopKeys[] = {
    {"model", &Top::ignored},
    {"messages", &Top::messages},
    {"tools", &Top::tools},
    {"tool_choice", &Top::tool_choice},
    {"parallel_tool_calls", &Top::parallel_tool_calls},
    {"temperature", &Top::temperature},
    {"top_p", &Top::top_p},
    {"max_tokens", &Top::max_tokens},
    {"max_completion_tokens", &Top::max_completion_tokens},
    {"stop", &Top::stop},
    {"seed", &Top::seed},
    {"presence_penalty", &Top::presence_penalty},
    {"frequency_penalty", &Top::frequency_penalty},
    {"n", &Top::n},
    {"user", &Top::user},
    {"stream", &Top::stream},
    {"stream_options", &Top::stream_options},
    {"response_format", &Top::response_format},
    {"reasoning_effort", &Top::reasoning_effort},
    {"logprobs", &Top::logprobs},
    {"top_logprobs", &Top::ignored},
};

// The first of duplicate keys counts, as with json::member.
Top read_top(const Value& body) {
  Top top;
  for (auto it = body.MemberBegin(); it != body.MemberEnd(); ++it) {
    const std::string_view k(it->name.GetString(), it->name.GetStringLength());
    const TopKey* found = nullptr;
    for (const TopKey& t : kTopKeys) {
      if (t.key == k) {
        found = &t;
        break;
      }
    }
    if (found == nullptr) {
      top.unknown.push_back(k);
    } else if (top.*(found->slot) == nullptr) {
      top.*(found->slot) = &it->value;
    }
  }
  return top;
}

}  // namespace

bool read_openai_request(const Value& body, Request& req, std::string& error) {
  if (!body.IsObject()) {
    error = "the body must be a JSON object";
    return false;
  }
  const Top top = read_top(body);
  const Value* messages = top.messages;
  if (messages == nullptr || !messages->IsArray()) {
    error = "messages must be an array";
    return false;
  }
  req.messages.reserve(messages->Size());
  for (const Value& m : messages->GetArray()) {
    if (!m.IsObject()) {
      error = "each message must be an object";
      return false;
    }
    if (!read_message(m, req, error)) return false;
  }
  if (!read_tools(top.tools, top.tool_choice, top.parallel_tool_calls, req, error)) return false;
  read_response_format(top.response_format, req);
  req.temperature = number_of(top.temperature);
  req.top_p = number_of(top.top_p);
  req.seed = integer_of(top.seed);
  req.presence_penalty = number_of(top.presence_penalty);
  req.frequency_penalty = number_of(top.frequency_penalty);
  if (auto n = integer_of(top.n); n && *n > 0) req.n = static_cast<uint64_t>(*n);
  for (const Value* v : {top.max_completion_tokens, top.max_tokens}) {
    if (auto t = integer_of(v); t && *t > 0 && !req.max_tokens) {
      req.max_tokens = static_cast<uint64_t>(*t);
    }
  }
  if (const Value* stop = top.stop) {
    if (stop->IsString()) {
      req.stop.emplace_back(json::string_of(stop));
    } else if (stop->IsArray()) {
      for (const Value& s : stop->GetArray()) {
        if (s.IsString()) req.stop.emplace_back(json::string_of(&s));
      }
    }
  }
  req.user = std::string(json::string_of(top.user));
  if (const Value* lp = top.logprobs; lp && lp->IsBool() && lp->GetBool()) req.logprobs = true;
  if (auto effort = json::string_of(top.reasoning_effort); !effort.empty()) {
    req.thinking_budget = budget_of_effort(effort);
    if (!req.thinking_budget) {
      error = "reasoning_effort must be none, minimal, low, medium or high";
      return false;
    }
    req.include_thoughts = *req.thinking_budget > 0;
  }
  if (const Value* st = top.stream; st && st->IsBool()) req.stream = st->GetBool();
  if (const Value* iu = json::member(top.stream_options, "include_usage"); iu && iu->IsBool()) {
    req.include_usage = iu->GetBool();
  }
  for (std::string_view k : top.unknown) req.dropped.emplace_back(k);
  return true;
}

// ---- writing --------------------------------------------------------------------------

namespace {

void append_data_url(std::string& out, const Part& media) {
  std::string url = media.url;
  if (url.empty()) url = "data:" + media.media_type + ";base64," + media.data;
  core::append_json_string(out, url);
}

bool append_content_part(std::string& out, const Part& p, std::string& error) {
  if (gemini_only_uri(p.url)) {
    error = "OpenAI cannot read " + p.url + ": only Gemini reads its Files API and gs:// URIs";
    return false;
  }
  if (p.kind == Part::Kind::text) {
    out += R"({"type":"text","text":)";
    core::append_json_string(out, p.text);
    out += '}';
    return true;
  }
  if (p.media_type.rfind("image/", 0) == 0 || (p.media_type.empty() && !p.url.empty())) {
    out += R"({"type":"image_url","image_url":{"url":)";
    append_data_url(out, p);
    out += "}}";
    return true;
  }
  if (p.media_type.rfind("audio/", 0) == 0 && p.url.empty()) {
    out += R"({"type":"input_audio","input_audio":{"data":)";
    core::append_json_string(out, p.data);
    out += R"(,"format":)";
    core::append_json_string(out, p.media_type.substr(6));
    out += "}}";
    return true;
  }
  if (p.url.empty()) {
    out += R"({"type":"file","file":{"filename":"file","file_data":)";
    append_data_url(out, p);
    out += "}}";
    return true;
  }
  error = "OpenAI takes a " + p.media_type + " file only inline (base64), not by URL";
  return false;
}

// A list of text and media parts: a plain string when it is all text.
bool append_content(std::string& out, const std::vector<Part>& parts, std::string& error) {
  bool all_text = true;
  for (const Part& p : parts) {
    if (p.kind == Part::Kind::media) all_text = false;
  }
  if (all_text) {
    core::append_json_string(out, joined_text(parts));
    return true;
  }
  out += '[';
  bool first = true;
  for (const Part& p : parts) {
    if (p.kind != Part::Kind::text && p.kind != Part::Kind::media) continue;
    if (!first) out += ',';
    first = false;
    if (!append_content_part(out, p, error)) return false;
  }
  out += ']';
  return true;
}

bool append_assistant(std::string& out, const Message& m, std::string& error) {
  Members o{out};
  o.key("role") += R"("assistant")";
  std::vector<Part> content;
  bool has_calls = false;
  for (const Part& p : m.parts) {
    if (p.kind == Part::Kind::text || p.kind == Part::Kind::media) content.push_back(p);
    if (p.kind == Part::Kind::tool_call) has_calls = true;
  }
  if (content.empty()) {
    // null is allowed only beside tool calls.
    o.key("content") += has_calls ? "null" : R"("")";
  } else if (!append_content(o.key("content"), content, error)) {
    return false;
  }
  if (has_calls) {
    o.key("tool_calls") += '[';
    bool first = true;
    for (const Part& p : m.parts) {
      if (p.kind != Part::Kind::tool_call) continue;
      if (!first) out += ',';
      first = false;
      out += R"({"id":)";
      core::append_json_string(out, p.id);
      out += R"(,"type":"function","function":{"name":)";
      core::append_json_string(out, p.name);
      out += R"(,"arguments":)";
      core::append_json_string(out, p.arguments);
      out += "}}";
    }
    out += ']';
  }
  return true;
}

bool append_messages(std::string& out, const Request& in, std::string& error) {
  out += '[';
  bool first = true;
  auto next = [&] {
    if (!first) out += ',';
    first = false;
  };
  if (!joined_text(in.system).empty()) {
    next();
    out += R"({"role":"system","content":)";
    if (in.system.size() == 1) {
      core::append_json_string(out, in.system[0].text);
    } else {
      out += '[';
      for (size_t i = 0; i < in.system.size(); ++i) {
        if (i > 0) out += ',';
        out += R"({"type":"text","text":)";
        core::append_json_string(out, in.system[i].text);
        out += '}';
      }
      out += ']';
    }
    out += '}';
  }
  for (const Message& m : in.messages) {
    if (m.role == Role::assistant) {
      next();
      out += '{';
      if (!append_assistant(out, m, error)) return false;
      out += '}';
      continue;
    }
    // A user turn: tool results become `tool` messages (first, as OpenAI wants them
    // right after the assistant's calls), the rest one user message.
    std::vector<Part> rest;
    for (const Part& p : m.parts) {
      if (p.kind != Part::Kind::tool_result) {
        if (p.kind == Part::Kind::text || p.kind == Part::Kind::media) rest.push_back(p);
        continue;
      }
      next();
      out += R"({"role":"tool","tool_call_id":)";
      core::append_json_string(out, p.id);
      out += R"(,"content":)";
      if (!tool_result_is_text(p, "OpenAI", error)) return false;
      std::string text = p.arguments.empty() ? joined_text(p.nested) : p.arguments;
      if (p.is_error && p.arguments.empty()) text = "Error: " + text;
      core::append_json_string(out, text);
      out += '}';
    }
    if (rest.empty()) continue;
    next();
    out += R"({"role":"user","content":)";
    if (!append_content(out, rest, error)) return false;
    out += '}';
  }
  out += ']';
  return true;
}

}  // namespace

bool write_openai_request(const Request& in, ApiFlavor, const RequestOptions& options,
                          std::string& out, std::vector<Param>& dropped, std::string& error) {
  if (in.top_k) dropped.push_back(Param::top_k);
  out += '{';
  Members o{out};
  core::append_json_string(o.key("model"), options.model);
  if (!append_messages(o.key("messages"), in, error)) return false;
  if (!in.tools.empty()) {
    o.key("tools") += '[';
    for (size_t i = 0; i < in.tools.size(); ++i) {
      if (i > 0) out += ',';
      out += R"({"type":"function","function":{"name":)";
      core::append_json_string(out, in.tools[i].name);
      if (!in.tools[i].description.empty()) {
        out += R"(,"description":)";
        core::append_json_string(out, in.tools[i].description);
      }
      out += R"(,"parameters":)";
      append_schema_text(out, in.tools[i].parameters, ApiFlavor::openai);
      out += "}}";
    }
    out += ']';
  }
  switch (in.tools.empty() ? ToolChoice::unset : in.tool_choice) {
    case ToolChoice::unset:
      break;
    case ToolChoice::auto_:
      o.key("tool_choice") += R"("auto")";
      break;
    case ToolChoice::none:
      o.key("tool_choice") += R"("none")";
      break;
    case ToolChoice::required:
      o.key("tool_choice") += R"("required")";
      break;
    case ToolChoice::named:
      o.key("tool_choice") += R"({"type":"function","function":{"name":)";
      core::append_json_string(out, in.tool_choice_name);
      out += "}}";
      break;
  }
  if (in.parallel_tool_calls && !in.tools.empty()) {
    o.key("parallel_tool_calls") += *in.parallel_tool_calls ? "true" : "false";
  }
  if (in.json_output) {
    if (in.output_schema.empty()) {
      o.key("response_format") += R"({"type":"json_object"})";
    } else {
      o.key("response_format") += R"({"type":"json_schema","json_schema":{"name":)";
      core::append_json_string(out,
                               in.output_schema_name.empty() ? "response" : in.output_schema_name);
      out += R"(,"schema":)";
      append_schema_text(out, in.output_schema, ApiFlavor::openai);
      out += "}}";
    }
  }
  if (in.temperature) append_double(o.key("temperature"), *in.temperature);
  if (in.top_p) append_double(o.key("top_p"), *in.top_p);
  if (in.max_tokens) core::append_uint(o.key("max_completion_tokens"), *in.max_tokens);
  if (!in.stop.empty()) {
    o.key("stop") += '[';
    for (size_t i = 0; i < in.stop.size(); ++i) {
      if (i > 0) out += ',';
      core::append_json_string(out, in.stop[i]);
    }
    out += ']';
  }
  if (in.seed) o.key("seed") += std::to_string(*in.seed);
  if (in.presence_penalty) append_double(o.key("presence_penalty"), *in.presence_penalty);
  if (in.frequency_penalty) append_double(o.key("frequency_penalty"), *in.frequency_penalty);
  if (in.n && *in.n > 1) core::append_uint(o.key("n"), *in.n);
  if (in.logprobs) dropped.push_back(Param::logprobs);  // answers carry none back
  if (!in.user.empty()) core::append_json_string(o.key("user"), in.user);
  if (in.thinking_budget && *in.thinking_budget != 0) {
    core::append_json_string(o.key("reasoning_effort"), effort_of_budget(*in.thinking_budget));
  }
  if (in.stream) {
    // Always ask for the final usage chunk: the ledger needs it whatever the client asked.
    o.key("stream") += "true";
    o.key("stream_options") += R"({"include_usage":true})";
  }
  out += '}';
  return true;
}

}  // namespace sluice::translate::ir
