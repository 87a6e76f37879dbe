#include "json.h"

#include <cmath>

#include "sluice/core/append_number.h"
#include "sluice/core/json_string.h"

namespace sluice::translate::json {

namespace {

// Deepest nesting of arrays and objects, strings skipped. The writers below recurse,
// so a body nested deeper than any real request is refused before it is parsed.
constexpr int kMaxDepth = 64;

bool too_deep(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace

bool parse(std::string_view text, Document& doc, std::string& error) {
  if (too_deep(text)) {
    error = "the body nests arrays and objects deeper than " + std::to_string(kMaxDepth);
    return false;
  }
  // The iterative parser keeps rapidjson itself off the call stack.
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    error = "the body is not valid JSON (";
    error += rapidjson::GetParseError_En(doc.GetParseError());
    error += " at offset " + std::to_string(doc.GetErrorOffset()) + ")";
    return false;
  }
  return true;
}

const Value* member(const Value& v, std::string_view key) {
  if (!v.IsObject()) return nullptr;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    if (std::string_view(it->name.GetString(), it->name.GetStringLength()) == key) {
      return &it->value;
    }
  }
  return nullptr;
}

const Value* member(const Value* v, std::string_view key) {
  return v == nullptr ? nullptr : member(*v, key);
}

const Value* object(const Value* v, std::string_view key) {
  const Value* m = member(v, key);
  return m != nullptr && m->IsObject() ? m : nullptr;
}

const Value* array(const Value* v, std::string_view key) {
  const Value* m = member(v, key);
  return m != nullptr && m->IsArray() ? m : nullptr;
}

std::string_view string_of(const Value* v, std::string_view fallback) {
  if (v == nullptr || !v->IsString()) return fallback;
  return {v->GetString(), v->GetStringLength()};
}

std::string_view string(const Value* v, std::string_view key, std::string_view fallback) {
  return string_of(member(v, key), fallback);
}

bool is_string(const Value* v) { return v != nullptr && v->IsString(); }

uint64_t uint(const Value* v, std::string_view key) {
  const Value* m = member(v, key);
  if (m == nullptr) return 0;
  if (m->IsUint64()) return m->GetUint64();
  if (m->IsDouble() && m->GetDouble() >= 0 && m->GetDouble() < 1.8e19) {
    return static_cast<uint64_t>(m->GetDouble());
  }
  if (m->IsString()) {  // Google's JSON mapping writes int64 fields as strings
    uint64_t n = 0;
    for (char c : string_of(m)) {
      if (c < '0' || c > '9' || n > UINT64_MAX / 10 - 10) return 0;
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    return n;
  }
  return 0;
}

namespace {

void append_number(std::string& out, const Value& v) {
  if (v.IsUint64()) {
    core::append_uint(out, v.GetUint64());
  } else if (v.IsInt64()) {
    out += std::to_string(v.GetInt64());
  } else {
    double d = v.GetDouble();
    if (!std::isfinite(d)) {
      out += '0';
      return;
    }
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.Double(d);
    out.append(buf.GetString(), buf.GetSize());
  }
}

}  // namespace

void append(std::string& out, const Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      out += "null";
      break;
    case rapidjson::kFalseType:
      out += "false";
      break;
    case rapidjson::kTrueType:
      out += "true";
      break;
    case rapidjson::kStringType:
      core::append_json_string(out, {v.GetString(), v.GetStringLength()});
      break;
    case rapidjson::kNumberType:
      append_number(out, v);
      break;
    case rapidjson::kArrayType: {
      out += '[';
      bool first = true;
      for (const Value& e : v.GetArray()) {
        if (!first) out += ',';
        first = false;
        append(out, e);
      }
      out += ']';
      break;
    }
    case rapidjson::kObjectType: {
      out += '{';
      bool first = true;
      for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
        if (!first) out += ',';
        first = false;
        core::append_json_string(out, {it->name.GetString(), it->name.GetStringLength()});
        out += ':';
        append(out, it->value);
      }
      out += '}';
      break;
    }
  }
}

}  // namespace sluice::translate::json
