#include "json.h"

#include <cmath>

#include "sluice/core/append_number.h"
#include "sluice/core/json_string.h"

namespace sluice::translate::json::detail {

// rapidjson's in-place stream, as its own type so that the reader below can copy a run of
// ordinary string characters eight at a time. `end` is just past the NUL that ends its
// buffer.
struct InPlace : rapidjson::InsituStringStream {
  InPlace(char* text, const char* end) : rapidjson::InsituStringStream(text), end(end) {}
  const char* end;
};

}  // namespace sluice::translate::json::detail

// rapidjson scans a string byte by byte (Peek, three tests, Put) unless it has SIMD
// code for the stream; this is that hook, for the stream above: up to the first quote,
// backslash or control character (the NUL at the end is one) in one move.
template <>
template <>
inline void
rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>>::
    ScanCopyUnescapedString<sluice::translate::json::detail::InPlace,
                            sluice::translate::json::detail::InPlace>(
        sluice::translate::json::detail::InPlace& is,
        sluice::translate::json::detail::InPlace& os) {
  const size_t n = sluice::core::plain_string_run(is.src_, is.end);
  if (os.dst_ != is.src_) std::memmove(os.dst_, is.src_, n);
  os.dst_ += n;
  is.src_ += n;
}

namespace sluice::translate::json {

namespace {

// Deepest nesting of arrays and objects. The writers below recurse, and so does
// rapidjson's recursive parser (faster than its iterative one by about half), so a body
// nested deeper than any real request is refused while it is parsed.
constexpr int kMaxDepth = 64;

// Passes the reader's events on to the document, ending the parse at kMaxDepth.
struct DepthLimit {
  Document& doc;
  int depth = 0;
  bool too_deep = false;

  bool Null() { return doc.Null(); }
  bool Bool(bool b) { return doc.Bool(b); }
  bool Int(int i) { return doc.Int(i); }
  bool Uint(unsigned i) { return doc.Uint(i); }
  bool Int64(int64_t i) { return doc.Int64(i); }
  bool Uint64(uint64_t i) { return doc.Uint64(i); }
  bool Double(double d) { return doc.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return doc.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc.Key(s, n, copy); }
  bool StartObject() { return enter() && doc.StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth;
    return doc.EndObject(n);
  }
  bool StartArray() { return enter() && doc.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth;
    return doc.EndArray(n);
  }
  bool enter() {
    if (++depth <= kMaxDepth) return true;
    too_deep = true;
    return false;
  }
};

// Parses from `in` with `flags` through the depth limit.
template <unsigned flags, typename Stream>
rapidjson::ParseResult parse_from(Stream& in, Document& doc, DepthLimit& limit) {
  rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>>
      reader(&doc.stack_allocator());
  rapidjson::ParseResult result;
  auto generate = [&](auto&) {
    result = reader.template Parse<flags>(in, limit);
    return !result.IsError();
  };
  doc.Populate(generate);
  return result;
}

}  // namespace

bool parse(std::string_view text, Document& doc, std::string& error) {
  DepthLimit limit{doc};
  // In place, on a copy in the document's own pool: strings are unescaped where they lie
  // instead of through the parse stack and into a second copy. The copy ends in the NUL
  // where rapidjson's in-place stream stops (as its MemoryStream stops at a NUL byte).
  auto* copy = static_cast<char*>(doc.GetAllocator().Malloc(text.size() + 1));
  if (!text.empty()) std::memcpy(copy, text.data(), text.size());
  copy[text.size()] = '\0';
  detail::InPlace in(copy, copy + text.size() + 1);
  rapidjson::ParseResult result = parse_from<rapidjson::kParseInsituFlag>(in, doc, limit);
  if (limit.too_deep) {
    error = "the body nests arrays and objects deeper than " + std::to_string(kMaxDepth);
    return false;
  }
  if (result.IsError()) {
    error = "the body is not valid JSON (";
    error += rapidjson::GetParseError_En(result.Code());
    error += " at offset " + std::to_string(result.Offset()) + ")";
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
