#include "mock_request.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

namespace sluice::mock {
namespace {

using Pool = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;
using Document = rapidjson::GenericDocument<rapidjson::UTF8<>, Pool, Pool>;

// Small bodies parse into this shard's buffers without touching malloc.
thread_local char t_value_buffer[16384];
thread_local char t_stack_buffer[4096];

const rapidjson::Value* member(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

bool true_member(const rapidjson::Value& obj, const char* key) {
  const rapidjson::Value* v = member(obj, key);
  return v && v->IsBool() && v->GetBool();
}

uint64_t count_member(const rapidjson::Value& obj, const char* key) {
  const rapidjson::Value* v = member(obj, key);
  return v && v->IsUint64() ? v->GetUint64() : 0;
}

uint64_t max_tokens_of(Api api, const rapidjson::Value& root) {
  switch (api) {
    case Api::openai_chat: {
      uint64_t n = count_member(root, "max_completion_tokens");
      return n ? n : count_member(root, "max_tokens");
    }
    case Api::openai_responses:
      return count_member(root, "max_output_tokens");
    case Api::gemini_generate:
    case Api::gemini_stream: {
      const rapidjson::Value* g = member(root, "generationConfig");
      return g && g->IsObject() ? count_member(*g, "maxOutputTokens") : 0;
    }
    default:
      return count_member(root, "max_tokens");
  }
}

void add_name(const rapidjson::Value& obj, std::vector<std::string>& out) {
  const rapidjson::Value* n = member(obj, "name");
  if (n && n->IsString() && out.size() < 64) out.emplace_back(n->GetString(), n->GetStringLength());
}

void read_tools(Api api, const rapidjson::Value& root, RequestFacts& out) {
  const rapidjson::Value* tools = member(root, "tools");
  if (!tools || !tools->IsArray()) return;
  for (const rapidjson::Value& t : tools->GetArray()) {
    if (!t.IsObject()) continue;
    if (api == Api::openai_chat) {
      if (const rapidjson::Value* f = member(t, "function"); f && f->IsObject())
        add_name(*f, out.tool_names);
    } else if (api == Api::anthropic_messages) {
      add_name(t, out.tool_names);
    } else {
      const rapidjson::Value* decls = member(t, "functionDeclarations");
      if (!decls) decls = member(t, "function_declarations");
      if (!decls || !decls->IsArray()) continue;
      for (const rapidjson::Value& d : decls->GetArray())
        if (d.IsObject()) add_name(d, out.tool_names);
    }
  }
}

bool asks_thinking(Api api, const rapidjson::Value& root) {
  if (api == Api::openai_chat) {
    const rapidjson::Value* e = member(root, "reasoning_effort");
    return e && e->IsString();
  }
  if (api == Api::anthropic_messages) {
    const rapidjson::Value* t = member(root, "thinking");
    if (!t || !t->IsObject()) return false;
    const rapidjson::Value* type = member(*t, "type");
    return type && type->IsString() && std::string_view(type->GetString()) == "enabled";
  }
  const rapidjson::Value* g = member(root, "generationConfig");
  if (!g || !g->IsObject()) return false;
  const rapidjson::Value* tc = member(*g, "thinkingConfig");
  return tc && tc->IsObject() && true_member(*tc, "includeThoughts");
}

}  // namespace

bool read_request(Api api, std::string_view body, RequestFacts& out, std::string& error) {
  Pool values(t_value_buffer, sizeof t_value_buffer);
  Pool stack(t_stack_buffer, sizeof t_stack_buffer);
  Document doc(&values, sizeof t_stack_buffer, &stack);
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError()) {
    error = "We could not parse the JSON body of your request: ";
    error += rapidjson::GetParseError_En(doc.GetParseError());
    error += " (at byte " + std::to_string(doc.GetErrorOffset()) + ")";
    return false;
  }
  if (!doc.IsObject()) {
    error = "The request body must be a JSON object.";
    return false;
  }
  if (const rapidjson::Value* m = member(doc, "model"); m && m->IsString())
    out.model.assign(m->GetString(), m->GetStringLength());
  out.stream = true_member(doc, "stream");
  if (const rapidjson::Value* so = member(doc, "stream_options"); so && so->IsObject())
    out.include_usage = true_member(*so, "include_usage");
  out.max_tokens = max_tokens_of(api, doc);
  if (api == Api::openai_chat || api == Api::anthropic_messages || api == Api::gemini_generate ||
      api == Api::gemini_stream) {
    read_tools(api, doc, out);
    out.thinking = asks_thinking(api, doc);
  }
  if (api == Api::openai_embeddings) {
    // A list of inputs (strings or token arrays) gets one vector each; anything else one.
    const rapidjson::Value* in = member(doc, "input");
    if (in && in->IsArray() && in->Size() > 0 && !in->operator[](0).IsNumber())
      out.items = in->Size();
    uint64_t dims = count_member(doc, "dimensions");
    out.dimensions = dims > 8192 ? 8192 : static_cast<uint32_t>(dims);
    if (const rapidjson::Value* f = member(doc, "encoding_format"); f && f->IsString())
      out.base64 = std::string_view(f->GetString(), f->GetStringLength()) == "base64";
  }
  return true;
}

}  // namespace sluice::mock
