#include "scanned_object.h"

#include <cstddef>

namespace sluice::scan::detail {
namespace {

// Usage objects nest one level (prompt_tokens_details); deeper is left to the parser.
constexpr int kMaxDepth = 8;
// Digits of an integer that always fits: 19 for a count (below 2^64), 18 after a minus
// sign (above -2^63). Longer ones are left to the parser.
constexpr size_t kMaxCountDigits = 19;
constexpr size_t kMaxNegativeDigits = 18;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// One pass over the text, as a strict JSON reader with the limits above.
class Checker {
 public:
  explicit Checker(std::string_view text) : t_(text) {}

  // Whether the text is whitespace, one object, whitespace; `object` gets the object.
  bool whole_object(std::string_view& object) {
    skip_space();
    const size_t start = i_;
    if (!at('{') || !container(0)) return false;
    object = t_.substr(start, i_ - start);
    skip_space();
    return i_ == t_.size();
  }

 private:
  bool at(char c) const { return i_ < t_.size() && t_[i_] == c; }
  void skip_space() {
    while (i_ < t_.size() && is_space(t_[i_])) ++i_;
  }

  bool value(int depth) {
    if (i_ >= t_.size()) return false;
    switch (t_[i_]) {
      case '{':
      case '[':
        return container(depth + 1);
      case '"':
        return string();
      case 't':
        return word("true");
      case 'f':
        return word("false");
      case 'n':
        return word("null");
      default:
        return integer();
    }
  }

  // An object or array at '{' or '['.
  bool container(int depth) {
    if (depth > kMaxDepth) return false;
    const bool object = t_[i_] == '{';
    const char close = object ? '}' : ']';
    ++i_;
    skip_space();
    if (at(close)) {
      ++i_;
      return true;
    }
    for (;;) {
      if (object) {
        if (!at('"') || !string()) return false;
        skip_space();
        if (!at(':')) return false;
        ++i_;
        skip_space();
      }
      if (!value(depth)) return false;
      skip_space();
      if (at(',')) {
        ++i_;
        skip_space();
        continue;
      }
      if (!at(close)) return false;
      ++i_;
      return true;
    }
  }

  // A string at '"' without escapes. The parser copies any other byte as it is (it does
  // not check UTF-8) and refuses a control character.
  bool string() {
    for (++i_; i_ < t_.size(); ++i_) {
      const auto c = static_cast<unsigned char>(t_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c == '\\' || c < 0x20) return false;
    }
    return false;
  }

  bool word(std::string_view w) {
    if (t_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }

  // -?(0|[1-9][0-9]*), short enough to fit; a fraction or an exponent is the parser's.
  bool integer() {
    const bool negative = at('-');
    if (negative) ++i_;
    const size_t start = i_;
    if (!at('0')) {
      while (i_ < t_.size() && is_digit(t_[i_])) ++i_;
    } else {
      ++i_;
    }
    const size_t digits = i_ - start;
    if (digits == 0 || digits > (negative ? kMaxNegativeDigits : kMaxCountDigits)) return false;
    return !(at('.') || at('e') || at('E'));
  }

  std::string_view t_;
  size_t i_ = 0;
};

// The end of the checked value starting at `i`.
size_t value_end(std::string_view t, size_t i) {
  if (t[i] == '"') return t.find('"', i + 1) + 1;  // checked: no escapes
  if (t[i] != '{' && t[i] != '[') {
    while (i < t.size() && t[i] != ',' && t[i] != '}' && t[i] != ']' && !is_space(t[i])) ++i;
    return i;
  }
  int depth = 0;
  for (; i < t.size(); ++i) {
    const char c = t[i];
    if (c == '"') {
      i = t.find('"', i + 1);
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return i + 1;
    }
  }
  return t.size();
}

}  // namespace

std::optional<ScannedObject> ScannedObject::read(std::string_view text) {
  std::string_view object;
  if (!Checker(text).whole_object(object)) return std::nullopt;
  return ScannedObject(object);
}

std::optional<std::string_view> ScannedObject::member(std::string_view key) const {
  const std::string_view t = text_;
  size_t i = 1;
  for (;;) {
    while (is_space(t[i])) ++i;
    if (t[i] != '"') return std::nullopt;  // '}': no more members
    const size_t key_end = t.find('"', i + 1);
    const std::string_view name = t.substr(i + 1, key_end - i - 1);
    i = key_end + 1;
    while (is_space(t[i]) || t[i] == ':') ++i;
    const size_t end = value_end(t, i);
    if (name == key) return t.substr(i, end - i);
    i = end;
    while (is_space(t[i]) || t[i] == ',') ++i;
  }
}

std::optional<ScannedObject> object_member(const ScannedObject& object, std::string_view key) {
  const std::optional<std::string_view> v = object.member(key);
  if (!v || v->front() != '{') return std::nullopt;
  return ScannedObject::read(*v);  // checked already; this only wraps it
}

bool read_count(const ScannedObject& object, std::string_view key, uint64_t& out) {
  const std::optional<std::string_view> v = object.member(key);
  if (!v || !(v->front() == '-' || is_digit(v->front()))) return false;
  // A negative count reads as 0, as for the parser's value.
  uint64_t n = 0;
  if (v->front() != '-') {
    for (char c : *v) n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  out = n;
  return true;
}

uint64_t count_member(const ScannedObject& object, std::string_view key) {
  uint64_t n = 0;
  read_count(object, key, n);
  return n;
}

}  // namespace sluice::scan::detail
