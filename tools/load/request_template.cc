#include "request_template.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <strings.h>

namespace sluice::load {
namespace {

using rapidjson::Value;

// Iterates `src` through const iterators only: comparing rapidjson's non-const member
// iterators is ambiguous under C++20's reversed operators (clang warns).
void merge_into(Value& dst, const Value& src, rapidjson::Document::AllocatorType& a) {
  for (auto it = src.MemberBegin(); it != src.MemberEnd(); ++it) {
    const Value& name = it->name;
    bool present = dst.HasMember(name);
    if (it->value.IsNull()) {
      if (present) dst.RemoveMember(name);
      continue;
    }
    if (!present) {
      dst.AddMember(Value(name, a), Value(it->value, a), a);
    } else if (dst[name].IsObject() && it->value.IsObject()) {
      merge_into(dst[name], it->value, a);
    } else {
      dst[name].CopyFrom(it->value, a);
    }
  }
}

void set_header(std::vector<HeaderLine>& headers, const HeaderLine& h) {
  for (HeaderLine& existing : headers) {
    if (strcasecmp(existing.name.c_str(), h.name.c_str()) == 0) {
      existing.value = h.value;
      return;
    }
  }
  headers.push_back(h);
}

std::string replace_model(std::string path, const std::string& model) {
  size_t at = path.find("{model}");
  if (at != std::string::npos) path.replace(at, 7, model);
  return path;
}

}  // namespace

std::string api_path(ApiKind api, bool stream, const std::string& model) {
  switch (api) {
    case ApiKind::openai_chat:
      return "/v1/chat/completions";
    case ApiKind::openai_responses:
      return "/v1/responses";
    case ApiKind::anthropic:
      return "/v1/messages";
    case ApiKind::gemini:
      return "/v1beta/models/" + model +
             (stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
  }
  return "/";
}

std::string make_prompt(size_t bytes) {
  static const char kWords[] =
      "the quick brown fox jumps over the lazy dog while a gateway counts every token "
      "and settles each request into its ledger ";
  std::string out;
  out.reserve(bytes);
  while (out.size() < bytes) {
    size_t n = std::min(bytes - out.size(), sizeof kWords - 1);
    out.append(kWords, n);
  }
  return out;
}

std::string default_body(ApiKind api, bool stream, const std::string& model, uint32_t max_tokens,
                         const std::string& prompt) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  auto user_message = [&] {
    w.Key("messages");
    w.StartArray();
    w.StartObject();
    w.Key("role");
    w.String("user");
    w.Key("content");
    w.String(prompt.data(), static_cast<rapidjson::SizeType>(prompt.size()));
    w.EndObject();
    w.EndArray();
  };
  switch (api) {
    case ApiKind::openai_chat:
      w.Key("model");
      w.String(model.c_str());
      user_message();
      w.Key("max_tokens");
      w.Uint(max_tokens);
      if (stream) {
        w.Key("stream");
        w.Bool(true);
        // As the SDKs' users do to get usage on streams; the gateway asks for it anyway.
        w.Key("stream_options");
        w.StartObject();
        w.Key("include_usage");
        w.Bool(true);
        w.EndObject();
      }
      break;
    case ApiKind::openai_responses:
      w.Key("model");
      w.String(model.c_str());
      w.Key("input");
      w.String(prompt.data(), static_cast<rapidjson::SizeType>(prompt.size()));
      w.Key("max_output_tokens");
      w.Uint(max_tokens);
      if (stream) {
        w.Key("stream");
        w.Bool(true);
      }
      break;
    case ApiKind::anthropic:
      w.Key("model");
      w.String(model.c_str());
      w.Key("max_tokens");
      w.Uint(max_tokens);
      user_message();
      if (stream) {
        w.Key("stream");
        w.Bool(true);
      }
      break;
    case ApiKind::gemini:
      w.Key("contents");
      w.StartArray();
      w.StartObject();
      w.Key("role");
      w.String("user");
      w.Key("parts");
      w.StartArray();
      w.StartObject();
      w.Key("text");
      w.String(prompt.data(), static_cast<rapidjson::SizeType>(prompt.size()));
      w.EndObject();
      w.EndArray();
      w.EndObject();
      w.EndArray();
      w.Key("generationConfig");
      w.StartObject();
      w.Key("maxOutputTokens");
      w.Uint(max_tokens);
      w.EndObject();
      break;
  }
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

bool merge_body(std::string& body, const std::string& overrides, std::string& error) {
  rapidjson::Document dst;
  dst.Parse(body.data(), body.size());
  rapidjson::Document src;
  src.Parse(overrides.data(), overrides.size());
  if (dst.HasParseError() || !dst.IsObject() || src.HasParseError() || !src.IsObject()) {
    error = "body overrides must be a JSON object";
    return false;
  }
  merge_into(dst, src, dst.GetAllocator());
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  dst.Accept(w);
  body.assign(sb.GetString(), sb.GetSize());
  return true;
}

bool build_request(const ScenarioEntry& entry, uint32_t project, const Target& target,
                   const std::vector<HeaderLine>& global_headers, RequestTemplate& out,
                   std::string& error) {
  std::string model = entry.model.empty() ? default_model(entry.api) : entry.model;
  std::string body = default_body(entry.api, entry.stream, model, entry.max_tokens,
                                  make_prompt(entry.prompt_bytes));
  if (!entry.body.empty() && !merge_body(body, entry.body, error)) return false;

  std::vector<HeaderLine> headers;
  headers.push_back({"Host", target.host_header});
  headers.push_back({"User-Agent", "sluice-load/" SLUICE_VERSION});
  headers.push_back({"Content-Type", "application/json"});
  if (entry.stream) headers.push_back({"Accept", "text/event-stream"});
  if (!entry.key.empty()) {
    switch (entry.api) {
      case ApiKind::openai_chat:
      case ApiKind::openai_responses:
        headers.push_back({"Authorization", "Bearer " + entry.key});
        break;
      case ApiKind::anthropic:
        headers.push_back({"x-api-key", entry.key});
        break;
      case ApiKind::gemini:
        headers.push_back({"x-goog-api-key", entry.key});
        break;
    }
  }
  if (entry.api == ApiKind::anthropic) headers.push_back({"anthropic-version", "2023-06-01"});
  for (const std::vector<HeaderLine>* list : {&global_headers, &entry.headers}) {
    for (const HeaderLine& h : *list) {
      if (strcasecmp(h.name.c_str(), "content-length") == 0 ||
          strcasecmp(h.name.c_str(), "transfer-encoding") == 0) {
        error = "header " + h.name + " is set by sluice-load from the body";
        return false;
      }
      set_header(headers, h);
    }
  }

  std::string path = entry.path.empty() ? api_path(entry.api, entry.stream, model)
                                        : replace_model(entry.path, model);
  out.bytes.clear();
  out.bytes.reserve(body.size() + 512);
  out.bytes += "POST " + target.base_path + path + " HTTP/1.1\r\n";
  for (const HeaderLine& h : headers) out.bytes += h.name + ": " + h.value + "\r\n";
  out.bytes += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out.bytes += body;
  out.body_size = body.size();
  out.project = project;
  out.stream = entry.stream;
  switch (entry.api) {
    case ApiKind::openai_chat:
      out.response_api = scan::ResponseApi::openai_chat;
      break;
    case ApiKind::openai_responses:
      out.response_api = scan::ResponseApi::openai_responses;
      break;
    case ApiKind::anthropic:
      out.response_api = scan::ResponseApi::anthropic;
      break;
    case ApiKind::gemini:
      out.response_api = scan::ResponseApi::gemini;
      break;
  }
  return true;
}

}  // namespace sluice::load
