#include "json_doc.h"

#include <cstring>

namespace sluice::scan::detail {

bool JsonDoc::parse(std::string_view text) {
  doc_.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  return !doc_.HasParseError();
}

const rapidjson::Value* member(const rapidjson::Value& object, std::string_view key) {
  if (!object.IsObject()) return nullptr;
  // Lengths first: rapidjson's FindMember(const char*) measures the key on every call.
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    if (it->name.GetStringLength() == key.size() &&
        std::memcmp(it->name.GetString(), key.data(), key.size()) == 0) {
      return &it->value;
    }
  }
  return nullptr;
}

const rapidjson::Value* object_member(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = member(object, key);
  return (v != nullptr && v->IsObject()) ? v : nullptr;
}

std::string_view string_member(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = member(object, key);
  if (v == nullptr || !v->IsString()) return {};
  return std::string_view(v->GetString(), v->GetStringLength());
}

bool read_count(const rapidjson::Value& object, std::string_view key, uint64_t& out) {
  const rapidjson::Value* v = member(object, key);
  if (v == nullptr || !v->IsNumber()) return false;
  if (v->IsUint64()) {
    out = v->GetUint64();
  } else if (v->IsInt64()) {
    out = 0;  // negative
  } else {
    const double d = v->GetDouble();
    // 2^63: anything above is no real count; clamp rather than overflow the cast.
    if (!(d > 0)) {
      out = 0;
    } else if (d >= 9223372036854775808.0) {
      out = uint64_t{1} << 63;
    } else {
      out = static_cast<uint64_t>(d);
    }
  }
  return true;
}

uint64_t count_member(const rapidjson::Value& object, std::string_view key) {
  uint64_t n = 0;
  read_count(object, key, n);
  return n;
}

}  // namespace sluice::scan::detail
