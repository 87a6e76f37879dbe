#include "scenario.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fstream>
#include <sstream>

namespace sluice::load {
namespace {

ScenarioEntry entry_defaults(const LoadOptions& o) {
  ScenarioEntry e;
  e.api = o.api;
  e.stream = o.stream;
  e.model = o.model;
  e.key = o.key;
  e.path = o.path;
  e.max_tokens = o.max_tokens;
  e.prompt_bytes = o.prompt_bytes;
  return e;
}

void index_projects(Scenario& s) {
  s.projects.clear();
  s.project_of.clear();
  for (const ScenarioEntry& e : s.entries) {
    uint32_t id = 0;
    while (id < s.projects.size() && s.projects[id] != e.project) ++id;
    if (id == s.projects.size()) s.projects.push_back(e.project);
    s.project_of.push_back(id);
  }
}

std::string to_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return std::string(sb.GetString(), sb.GetSize());
}

// Reads one entry object; `where` is its JSON pointer.
bool read_entry(const rapidjson::Value& v, const std::string& where, ScenarioEntry& e,
                std::string& error) {
  auto fail = [&](const std::string& field, const std::string& what) {
    error = where + "/" + field + ": " + what;
    return false;
  };
  if (!v.IsObject()) {
    error = where + ": an entry must be an object";
    return false;
  }
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    std::string name(it->name.GetString(), it->name.GetStringLength());
    const rapidjson::Value& f = it->value;
    auto text = [&](std::string& out) {
      if (!f.IsString()) return fail(name, "must be a string");
      out.assign(f.GetString(), f.GetStringLength());
      return true;
    };
    auto count = [&](uint32_t& out, bool zero_ok) {
      if (!f.IsUint() || (!zero_ok && f.GetUint() == 0))
        return fail(name, zero_ok ? "must be a whole number" : "must be a positive whole number");
      out = f.GetUint();
      return true;
    };
    if (name == "weight") {
      if (!f.IsNumber() || !(f.GetDouble() > 0)) return fail(name, "must be a number above 0");
      e.weight = f.GetDouble();
    } else if (name == "project") {
      if (!text(e.project)) return false;
    } else if (name == "api") {
      std::string api;
      if (!text(api)) return false;
      if (!parse_api(api, e.api))
        return fail(name, "must be openai-chat, openai-responses, anthropic or gemini");
    } else if (name == "stream") {
      if (!f.IsBool()) return fail(name, "must be true or false");
      e.stream = f.GetBool();
    } else if (name == "model") {
      if (!text(e.model)) return false;
    } else if (name == "key") {
      if (!text(e.key)) return false;
    } else if (name == "path") {
      if (!text(e.path)) return false;
      if (e.path.empty() || e.path[0] != '/') return fail(name, "must start with '/'");
    } else if (name == "max_tokens") {
      if (!count(e.max_tokens, false)) return false;
    } else if (name == "prompt_bytes") {
      if (!count(e.prompt_bytes, true)) return false;
    } else if (name == "headers") {
      if (!f.IsObject()) return fail(name, "must be an object of header names to values");
      for (auto h = f.MemberBegin(); h != f.MemberEnd(); ++h) {
        std::string hname(h->name.GetString(), h->name.GetStringLength());
        if (!h->value.IsString()) return fail(name + "/" + hname, "must be a string");
        HeaderLine line;
        if (!parse_header_line(hname + ": " + h->value.GetString(), line))
          return fail(name + "/" + hname, "is not a valid header");
        e.headers.push_back(std::move(line));
      }
    } else if (name == "body") {
      if (!f.IsObject()) return fail(name, "must be an object (merged into the request body)");
      e.body = to_json(f);
    } else {
      return fail(name,
                  "unknown field (weight, project, api, stream, model, key, path, "
                  "max_tokens, prompt_bytes, headers, body)");
    }
  }
  return true;
}

}  // namespace

Scenario scenario_from_options(const LoadOptions& options) {
  Scenario s;
  s.entries.push_back(entry_defaults(options));
  s.entries.back().project = "default";
  index_projects(s);
  return s;
}

bool parse_scenario(const std::string& json, const LoadOptions& options, Scenario& out,
                    std::string& error) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    error = std::string("not valid JSON at byte ") + std::to_string(doc.GetErrorOffset()) + ": " +
            rapidjson::GetParseError_En(doc.GetParseError());
    return false;
  }
  // Read through a const reference: see request_template.cc on rapidjson's iterators.
  const rapidjson::Value& root = doc;
  const rapidjson::Value* list = &root;
  std::string base;
  if (root.IsObject()) {
    auto it = root.FindMember("entries");
    if (it == root.MemberEnd()) {
      error = "/entries: missing (an array of request entries)";
      return false;
    }
    for (auto m = root.MemberBegin(); m != root.MemberEnd(); ++m) {
      if (std::string_view(m->name.GetString(), m->name.GetStringLength()) != "entries") {
        error = "/" + std::string(m->name.GetString()) + ": unknown field (only \"entries\")";
        return false;
      }
    }
    list = &it->value;
    base = "/entries";
  }
  if (!list->IsArray() || list->Empty()) {
    error = (base.empty() ? "/" : base) + ": must be a non-empty array of entries";
    return false;
  }
  out.entries.clear();
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    ScenarioEntry e = entry_defaults(options);
    if (!read_entry((*list)[i], base + "/" + std::to_string(i), e, error)) return false;
    if (e.project.empty()) e.project = "entry-" + std::to_string(i + 1);
    out.entries.push_back(std::move(e));
  }
  index_projects(out);
  return true;
}

bool load_scenario(const std::string& file, const LoadOptions& options, Scenario& out,
                   std::string& error) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    error = file + ": cannot open";
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  if (!parse_scenario(ss.str(), options, out, error)) {
    error = file + ": " + error;
    return false;
  }
  return true;
}

}  // namespace sluice::load
