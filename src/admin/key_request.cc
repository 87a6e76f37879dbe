#include "sluice/admin/key_request.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <set>

namespace sluice::admin {

bool valid_key_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string parse_key_request(std::string_view body, KeyRequest& out) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  if (d.HasParseError())
    return std::string("body is not valid JSON: ") + rapidjson::GetParseError_En(d.GetParseError());
  if (!d.IsObject()) return "body must be a JSON object";
  const rapidjson::Value& root = d;  // const iterators: clang finds the others ambiguous
  std::set<std::string_view> fields;
  for (auto m = root.MemberBegin(); m != root.MemberEnd(); ++m) {
    std::string_view name(m->name.GetString(), m->name.GetStringLength());
    if (!fields.insert(name).second) return "field `" + std::string(name) + "` appears twice";
    const rapidjson::Value& v = m->value;
    if (name == "id") {
      if (!v.IsString()) return "`id` must be a string";
      out.id.assign(v.GetString(), v.GetStringLength());
      if (!valid_key_id(out.id)) return "`id` must be 1 to 128 characters of A-Z a-z 0-9 . _ -";
    } else if (name == "project") {
      if (!v.IsString() || v.GetStringLength() == 0) return "`project` must be a non-empty string";
      out.project.assign(v.GetString(), v.GetStringLength());
    } else if (name == "models") {
      if (!v.IsArray()) return "`models` must be an array of model aliases";
      std::set<std::string> seen;
      for (const auto& a : v.GetArray()) {
        if (!a.IsString()) return "`models` must be an array of model aliases";
        std::string alias(a.GetString(), a.GetStringLength());
        if (!seen.insert(alias).second) return "`models` names " + alias + " twice";
        out.models.push_back(std::move(alias));
      }
    } else {
      return "unknown field `" + std::string(name) + "` (allowed: id, project, models)";
    }
  }
  if (out.project.empty()) return "`project` is required";
  return {};
}

}  // namespace sluice::admin
