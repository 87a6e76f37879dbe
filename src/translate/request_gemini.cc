// Gemini generateContent requests: reading one into the neutral form, writing one.
// Google's JSON mapping accepts both lowerCamel and snake_case member names; the reader
// takes either.

#include "ir.h"
#include "sluice/core/append_number.h"
#include "sluice/core/json_string.h"

namespace sluice::translate::ir {
namespace {

using json::Value;

const Value* gm(const Value* v, std::string_view camel, std::string_view snake) {
  const Value* m = json::member(v, camel);
  return m != nullptr ? m : json::member(v, snake);
}

const Value* gobject(const Value* v, std::string_view camel, std::string_view snake) {
  const Value* m = gm(v, camel, snake);
  return m != nullptr && m->IsObject() ? m : nullptr;
}

}  // namespace

bool read_gemini_part(const Value& p, std::vector<Part>& parts, CallIds& ids, size_t message_index,
                      std::string& error) {
  const std::string_view signature =
      json::string_of(gm(&p, "thoughtSignature", "thought_signature"));
  const Value* thought = json::member(&p, "thought");
  const bool is_thought = thought && thought->IsBool() && thought->GetBool();
  Part part;
  if (const Value* text = json::member(&p, "text"); text && text->IsString()) {
    part = {.kind = is_thought ? Part::Kind::thinking : Part::Kind::text,
            .text = std::string(json::string_of(text))};
  } else if (const Value* inline_data = gobject(&p, "inlineData", "inline_data")) {
    part = {.kind = Part::Kind::media,
            .media_type = std::string(json::string_of(gm(inline_data, "mimeType", "mime_type"))),
            .data = std::string(json::string(inline_data, "data"))};
  } else if (const Value* file = gobject(&p, "fileData", "file_data")) {
    part = {.kind = Part::Kind::media,
            .media_type = std::string(json::string_of(gm(file, "mimeType", "mime_type"))),
            .url = std::string(json::string_of(gm(file, "fileUri", "file_uri")))};
  } else if (const Value* call = gobject(&p, "functionCall", "function_call")) {
    const Value* args = json::object(call, "args");
    const std::string_view name = json::string(call, "name");
    part = {.kind = Part::Kind::tool_call,
            .id = ids.call(name, json::string(call, "id"), message_index, parts.size()),
            .name = std::string(name),
            .arguments = args ? to_text(*args) : "{}"};
  } else if (const Value* resp = gobject(&p, "functionResponse", "function_response")) {
    const Value* response = json::object(resp, "response");
    const std::string_view name = json::string(resp, "name");
    part = {.kind = Part::Kind::tool_result,
            .id = ids.answer(name, json::string(resp, "id")),
            .name = std::string(name),
            .arguments = response ? to_text(*response) : "{}"};
  } else if (!signature.empty()) {
    part = {.kind = Part::Kind::thinking};  // a signature on a part of its own
  } else {
    error =
        "a part that is not text, inlineData, fileData, functionCall or functionResponse "
        "cannot be translated";
    return false;
  }
  if (!signature.empty()) {
    if (part.kind == Part::Kind::thinking &&
        signature.substr(0, kAnthropicSignaturePrefix.size()) == kAnthropicSignaturePrefix) {
      // An Anthropic thinking block carried through a Gemini client (response writer).
      std::string_view sig = signature.substr(kAnthropicSignaturePrefix.size());
      if (part.text.empty() && sig.substr(0, 9) == "redacted:") {
        part = {.kind = Part::Kind::redacted_thinking, .data = std::string(sig.substr(9))};
      } else {
        part.signature = std::string(sig);
      }
      part.signature_from = SignatureFrom::anthropic;
    } else {
      part.signature = std::string(signature);
      part.signature_from = SignatureFrom::gemini;
    }
  } else if (part.kind == Part::Kind::thinking) {
    part.signature_from = SignatureFrom::gemini;
  }
  parts.push_back(std::move(part));
  return true;
}

namespace {

bool read_tools(const Value& body, Request& req, std::string& error) {
  if (const Value* tools = json::array(&body, "tools")) {
    for (const Value& t : tools->GetArray()) {
      const Value* decls = gm(&t, "functionDeclarations", "function_declarations");
      if (decls == nullptr || !decls->IsArray()) {
        for (auto it = t.MemberBegin(); t.IsObject() && it != t.MemberEnd(); ++it) {
          req.dropped.push_back("tools." +
                                std::string(it->name.GetString(), it->name.GetStringLength()));
        }
        continue;
      }
      for (const Value& d : decls->GetArray()) {
        Tool tool{.name = std::string(json::string(&d, "name")),
                  .description = std::string(json::string(&d, "description"))};
        if (tool.name.empty()) {
          error = "a function declaration has no name";
          return false;
        }
        const Value* params = gobject(&d, "parameters", "parameters");
        if (params == nullptr)
          params = gobject(&d, "parametersJsonSchema", "parameters_json_schema");
        tool.parameters = params ? to_text(*params) : R"({"type":"object","properties":{}})";
        req.tools.push_back(std::move(tool));
      }
    }
  }
  const Value* config = gobject(gobject(&body, "toolConfig", "tool_config"),
                                "functionCallingConfig", "function_calling_config");
  if (config == nullptr) return true;
  const std::string_view mode = json::string(config, "mode");
  const Value* allowed = gm(config, "allowedFunctionNames", "allowed_function_names");
  if (mode == "AUTO" || mode == "MODE_UNSPECIFIED") {
    req.tool_choice = ToolChoice::auto_;
  } else if (mode == "NONE") {
    req.tool_choice = ToolChoice::none;
  } else if (mode == "ANY" || mode == "VALIDATED") {
    req.tool_choice = ToolChoice::required;
    if (allowed && allowed->IsArray() && allowed->Size() == 1 && (*allowed)[0].IsString()) {
      req.tool_choice = ToolChoice::named;
      req.tool_choice_name = std::string(json::string_of(&(*allowed)[0]));
    }
  } else if (!mode.empty()) {
    error = "functionCallingConfig.mode must be AUTO, ANY, NONE or VALIDATED";
    return false;
  }
  return true;
}

void read_generation_config(const Value* g, Request& req) {
  if (g == nullptr) return;
  req.temperature = number(g, "temperature");
  req.top_p = number(g, "topP");
  if (!req.top_p) req.top_p = number(g, "top_p");
  req.top_k = integer(g, "topK");
  if (!req.top_k) req.top_k = integer(g, "top_k");
  req.seed = integer(g, "seed");
  req.presence_penalty = number(g, "presencePenalty");
  req.frequency_penalty = number(g, "frequencyPenalty");
  auto max = integer(g, "maxOutputTokens");
  if (!max) max = integer(g, "max_output_tokens");
  if (max && *max > 0) req.max_tokens = static_cast<uint64_t>(*max);
  auto count = integer(g, "candidateCount");
  if (count && *count > 0) req.n = static_cast<uint64_t>(*count);
  if (const Value* lp = gm(g, "responseLogprobs", "response_logprobs"); lp && lp->IsBool()) {
    if (lp->GetBool()) req.logprobs = true;
  }
  if (const Value* stop = gm(g, "stopSequences", "stop_sequences"); stop && stop->IsArray()) {
    for (const Value& s : stop->GetArray()) {
      if (s.IsString()) req.stop.emplace_back(json::string_of(&s));
    }
  }
  const std::string_view mime = json::string_of(gm(g, "responseMimeType", "response_mime_type"));
  const Value* schema = gobject(g, "responseSchema", "response_schema");
  if (schema == nullptr) schema = gobject(g, "responseJsonSchema", "response_json_schema");
  if (mime == "application/json" || schema != nullptr) {
    req.json_output = true;
    if (schema) {
      req.output_schema = to_text(*schema);
      req.output_schema_name = "response";
    }
  }
  if (const Value* thinking = gobject(g, "thinkingConfig", "thinking_config")) {
    auto budget = integer(thinking, "thinkingBudget");
    if (!budget) budget = integer(thinking, "thinking_budget");
    const std::string_view level = json::string_of(gm(thinking, "thinkingLevel", "thinking_level"));
    if (budget) {
      req.thinking_budget = *budget;
    } else if (!level.empty()) {
      std::string lower;
      for (char c : level) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      req.thinking_budget = budget_of_effort(lower).value_or(8192);
    }
    const Value* include = gm(thinking, "includeThoughts", "include_thoughts");
    req.include_thoughts = include && include->IsBool() && include->GetBool();
  }
  for (auto it = g->MemberBegin(); it != g->MemberEnd(); ++it) {
    std::string_view k(it->name.GetString(), it->name.GetStringLength());
    for (std::string_view other : {"responseModalities", "speechConfig", "mediaResolution",
                                   "logprobs", "enableEnhancedCivicAnswers"}) {
      if (k == other) req.dropped.push_back("generationConfig." + std::string(k));
    }
  }
}

}  // namespace

namespace {

// The stream writer sends an Anthropic thinking block to a Gemini client as it arrives:
// thought parts with its text, then an empty thought part with its signature
// (kAnthropicSignaturePrefix). The client sends them back as it got them, often one
// content per chunk, so a run of unsigned thought parts in one turn (consecutive
// contents of one role) followed by that signature part is joined back into the one
// block Anthropic signed: a thinking block with empty text would be refused.
void join_thought_runs(std::vector<Message>& messages) {
  struct At {
    size_t message;
    size_t part;
  };
  std::vector<At> run;  // unsigned thought parts since the turn or the last other part
  std::vector<std::vector<bool>> joined(messages.size());
  for (size_t m = 0; m < messages.size(); ++m) {
    joined[m].resize(messages[m].parts.size(), false);
    if (m > 0 && messages[m].role != messages[m - 1].role) run.clear();
    for (size_t i = 0; i < messages[m].parts.size(); ++i) {
      Part& p = messages[m].parts[i];
      if (p.kind != Part::Kind::thinking) {
        run.clear();
      } else if (p.signature.empty() && p.signature_from == SignatureFrom::gemini) {
        run.push_back({m, i});
      } else if (p.signature_from == SignatureFrom::anthropic && p.text.empty() && !run.empty()) {
        for (const At& at : run) {
          p.text += messages[at.message].parts[at.part].text;
          joined[at.message][at.part] = true;
        }
        run.clear();
      } else {
        run.clear();
      }
    }
  }
  for (size_t m = messages.size(); m-- > 0;) {
    std::vector<Part>& parts = messages[m].parts;
    const bool had_parts = !parts.empty();
    size_t kept = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (joined[m][i]) continue;
      if (kept != i) parts[kept] = std::move(parts[i]);
      ++kept;
    }
    parts.resize(kept);
    // A content left empty by the join was one chunk of the same turn: it goes.
    if (had_parts && parts.empty()) {
      messages.erase(messages.begin() + static_cast<std::ptrdiff_t>(m));
    }
  }
}

}  // namespace

bool read_gemini_request(const Value& body, Request& req, std::string& error) {
  if (!body.IsObject()) {
    error = "the body must be a JSON object";
    return false;
  }
  const Value* contents = json::array(&body, "contents");
  if (contents == nullptr) {
    error = "contents must be an array";
    return false;
  }
  if (const Value* system = gobject(&body, "systemInstruction", "system_instruction")) {
    CallIds none;
    if (const Value* parts = json::array(system, "parts")) {
      for (const Value& p : parts->GetArray()) {
        if (!read_gemini_part(p, req.system, none, 0, error)) return false;
      }
    }
  }
  CallIds ids;
  for (const Value& c : contents->GetArray()) {
    const std::optional<Role> role = role_from(ApiFlavor::gemini, json::string(&c, "role"));
    if (!role) {
      error = "a content's role must be user or model";
      return false;
    }
    Message msg{.role = *role == Role::tool ? Role::user : *role};
    if (const Value* parts = json::array(&c, "parts")) {
      for (const Value& p : parts->GetArray()) {
        if (!read_gemini_part(p, msg.parts, ids, req.messages.size(), error)) return false;
      }
    }
    req.messages.push_back(std::move(msg));
  }
  join_thought_runs(req.messages);
  if (!read_tools(body, req, error)) return false;
  read_generation_config(gobject(&body, "generationConfig", "generation_config"), req);
  for (auto it = body.MemberBegin(); it != body.MemberEnd(); ++it) {
    std::string_view k(it->name.GetString(), it->name.GetStringLength());
    for (std::string_view other :
         {"safetySettings", "safety_settings", "cachedContent", "cached_content", "labels"}) {
      if (k == other) req.dropped.emplace_back(k);
    }
  }
  return true;
}

// ---- writing --------------------------------------------------------------------------

namespace {

// Gemini takes media inline or by a URI it can read itself (its Files API, Cloud Storage);
// it does not fetch arbitrary web URLs.
bool append_media(std::string& out, const Part& p, std::string& error) {
  if (p.url.empty()) {
    out += R"({"inlineData":{"mimeType":)";
    core::append_json_string(out, p.media_type);
    out += R"(,"data":)";
    core::append_json_string(out, p.data);
    out += "}}";
    return true;
  }
  if (!gemini_only_uri(p.url)) {
    error =
        "Gemini does not fetch media by http(s) URL: send the image inline as a base64 "
        "data: URL, or give a Gemini Files API or gs:// URI";
    return false;
  }
  out += R"({"fileData":{"mimeType":)";
  core::append_json_string(out, p.media_type.empty() ? "image/jpeg" : p.media_type);
  out += R"(,"fileUri":)";
  core::append_json_string(out, p.url);
  out += "}}";
  return true;
}

// The function names of every call in the conversation, by id, for the
// functionResponse parts (which Gemini matches by name).
std::string_view name_of_call(const Request& in, std::string_view id) {
  for (const Message& m : in.messages) {
    for (const Part& p : m.parts) {
      if (p.kind == Part::Kind::tool_call && p.id == id) return p.name;
    }
  }
  return {};
}

void append_signature(std::string& out, const Part& p) {
  if (p.signature_from != SignatureFrom::gemini || p.signature.empty()) return;
  out += R"(,"thoughtSignature":)";
  core::append_json_string(out, p.signature);
}

bool append_part(std::string& out, const Request& in, const Part& p, bool& wrote,
                 std::string& error) {
  wrote = true;
  switch (p.kind) {
    case Part::Kind::text:
      // Gemini refuses an empty text part unless it carries a signature.
      if (p.text.empty() && (p.signature.empty() || p.signature_from != SignatureFrom::gemini)) {
        break;
      }
      out += R"({"text":)";
      core::append_json_string(out, p.text);
      append_signature(out, p);
      out += '}';
      return true;
    case Part::Kind::media:
      return append_media(out, p, error);
    case Part::Kind::tool_call:
      out += R"({"functionCall":{"name":)";
      core::append_json_string(out, p.name);
      out += R"(,"args":)";
      out += p.arguments.empty() ? "{}" : p.arguments;
      out += '}';
      append_signature(out, p);
      out += '}';
      return true;
    case Part::Kind::tool_result: {
      std::string_view name = p.name.empty() ? name_of_call(in, p.id) : p.name;
      if (name.empty()) {
        error = "the tool result for call \"" + p.id +
                "\" answers no tool call in the conversation (Gemini needs the function's name)";
        return false;
      }
      out += R"({"functionResponse":{"name":)";
      core::append_json_string(out, name);
      out += R"(,"response":)";
      if (!p.arguments.empty()) {
        out += p.arguments;
      } else {
        // A text result: as the object itself when it is one, else under "result"
        // ("error" when the client marked it failed).
        if (!tool_result_is_text(p, "Gemini", error)) return false;
        const std::string text = joined_text(p.nested);
        json::Document doc;
        std::string ignored;
        if (json::parse(text, doc, ignored) && doc.IsObject()) {
          json::append(out, doc);
        } else {
          out += p.is_error ? R"({"error":)" : R"({"result":)";
          core::append_json_string(out, text);
          out += '}';
        }
      }
      out += "}}";
      return true;
    }
    case Part::Kind::thinking:
      // Thought text is not sent back to Gemini; a signature on its own part is.
      if (p.signature_from == SignatureFrom::gemini && !p.signature.empty()) {
        out += R"({"text":"","thought":true)";
        append_signature(out, p);
        out += '}';
        return true;
      }
      break;
    case Part::Kind::redacted_thinking:
      break;
  }
  wrote = false;
  return true;
}

bool append_contents(std::string& out, const Request& in, std::string& error) {
  out += '[';
  Turns turns{out, "parts"};
  for (const Message& m : in.messages) {
    turns.start(role_name(ApiFlavor::gemini, m.role));
    for (const Part& p : m.parts) {
      const size_t mark = turns.part_begin();
      bool wrote = false;
      if (!append_part(out, in, p, wrote, error)) return false;
      turns.part_end(mark, wrote);
    }
  }
  turns.close();
  out += ']';
  return true;
}

void append_generation_config(std::string& out, const Request& in, std::vector<Param>& dropped) {
  Members g{out};
  out += '{';
  if (in.temperature) append_double(g.key("temperature"), *in.temperature);
  if (in.top_p) append_double(g.key("topP"), *in.top_p);
  if (in.top_k) g.key("topK") += std::to_string(*in.top_k);
  if (in.max_tokens) core::append_uint(g.key("maxOutputTokens"), *in.max_tokens);
  if (!in.stop.empty()) {
    g.key("stopSequences") += '[';
    for (size_t i = 0; i < in.stop.size(); ++i) {
      if (i > 0) out += ',';
      core::append_json_string(out, in.stop[i]);
    }
    out += ']';
  }
  if (in.seed) g.key("seed") += std::to_string(*in.seed);
  if (in.presence_penalty) append_double(g.key("presencePenalty"), *in.presence_penalty);
  if (in.frequency_penalty) append_double(g.key("frequencyPenalty"), *in.frequency_penalty);
  if (in.n && *in.n > 1) core::append_uint(g.key("candidateCount"), *in.n);
  if (in.logprobs) dropped.push_back(Param::logprobs);
  if (in.json_output) {
    g.key("responseMimeType") += R"("application/json")";
    if (!in.output_schema.empty())
      append_schema_text(g.key("responseSchema"), in.output_schema, ApiFlavor::gemini);
  }
  if (in.thinking_budget) {
    g.key("thinkingConfig") += R"({"thinkingBudget":)";
    out += std::to_string(*in.thinking_budget);
    if (in.include_thoughts) out += R"(,"includeThoughts":true)";
    out += '}';
  }
  out += '}';
}

}  // namespace

bool write_gemini_request(const Request& in, ApiFlavor, const RequestOptions&, std::string& out,
                          std::vector<Param>& dropped, std::string& error) {
  out += '{';
  Members o{out};
  if (!append_contents(o.key("contents"), in, error)) return false;
  if (!joined_text(in.system).empty()) {
    o.key("systemInstruction") += R"({"parts":[)";
    bool first = true;
    for (const Part& p : in.system) {
      if (p.kind != Part::Kind::text) continue;
      if (!first) out += ',';
      first = false;
      out += R"({"text":)";
      core::append_json_string(out, p.text);
      out += '}';
    }
    out += "]}";
  }
  if (!in.tools.empty()) {
    o.key("tools") += R"([{"functionDeclarations":[)";
    for (size_t i = 0; i < in.tools.size(); ++i) {
      if (i > 0) out += ',';
      out += R"({"name":)";
      core::append_json_string(out, in.tools[i].name);
      if (!in.tools[i].description.empty()) {
        out += R"(,"description":)";
        core::append_json_string(out, in.tools[i].description);
      }
      // Gemini refuses an OBJECT without properties: a function that takes no
      // arguments is declared without parameters.
      if (schema_has_properties(in.tools[i].parameters)) {
        out += R"(,"parameters":)";
        append_schema_text(out, in.tools[i].parameters, ApiFlavor::gemini);
      }
      out += '}';
    }
    out += "]}]";
  }
  if (in.tool_choice != ToolChoice::unset && !in.tools.empty()) {
    o.key("toolConfig") += R"({"functionCallingConfig":{"mode":)";
    switch (in.tool_choice) {
      case ToolChoice::unset:
      case ToolChoice::auto_:
        out += R"("AUTO")";
        break;
      case ToolChoice::none:
        out += R"("NONE")";
        break;
      case ToolChoice::required:
        out += R"("ANY")";
        break;
      case ToolChoice::named:
        out += R"("ANY","allowedFunctionNames":[)";
        core::append_json_string(out, in.tool_choice_name);
        out += ']';
        break;
    }
    out += "}}";
  }
  // Gemini has no switch for parallel calls: only the default (allowed) is honoured.
  if (in.parallel_tool_calls && !*in.parallel_tool_calls)
    dropped.push_back(Param::parallel_tool_calls);
  if (!in.user.empty()) dropped.push_back(Param::user);
  const size_t mark = out.size();
  append_generation_config(o.key("generationConfig"), in, dropped);
  if (out.size() >= 2 && out.substr(out.size() - 2) == "{}") {
    out.resize(mark);  // no generationConfig member at all
  }
  out += '}';
  return true;
}

}  // namespace sluice::translate::ir
