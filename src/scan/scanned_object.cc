#include "scanned_object.h"

#include "sluice/core/json_string.h"

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

}  // namespace

// One pass over the text, as a strict JSON reader with the limits above, noting every
// object member in the table.
class UsageChecker {
 public:
  UsageChecker(std::string_view text, ScannedUsage& out) : t_(text), out_(out) {}

  bool whole_object() {
    skip_space();
    uint16_t root = 0;
    if (!at('{') || !new_object(root) || !container(0, root)) return false;
    skip_space();
    return i_ == t_.size();
  }

 private:
  bool at(char c) const { return i_ < t_.size() && t_[i_] == c; }
  void skip_space() {
    while (i_ < t_.size() && is_space(t_[i_])) ++i_;
  }

  // Ids for objects, as many as the table may need; past them, the parser's.
  bool new_object(uint16_t& id) {
    if (out_.objects_ == ScannedUsage::kMaxObjects) return false;
    id = out_.objects_++;
    return true;
  }

  // A value; `object` gets the id it was given when it is an object.
  bool value(int depth, uint16_t& object) {
    object = ScannedUsage::kNotAnObject;
    if (i_ >= t_.size()) return false;
    switch (t_[i_]) {
      case '{':
        return new_object(object) && container(depth + 1, object);
      case '[':
        return container(depth + 1, ScannedUsage::kNotAnObject);
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

  // An object (`id`, at '{') or an array (at '[').
  bool container(int depth, uint16_t id) {
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
      size_t key = 0;
      size_t key_end = 0;
      if (object) {
        key = i_ + 1;
        if (!at('"') || !string()) return false;
        key_end = i_ - 1;
        skip_space();
        if (!at(':')) return false;
        ++i_;
        skip_space();
      }
      const size_t start = i_;
      uint16_t nested = 0;
      if (!value(depth, nested)) return false;
      if (object) {
        if (out_.count_ == ScannedUsage::kMaxMembers) return false;
        out_.members_[out_.count_++] = {t_.substr(key, key_end - key), t_.substr(start, i_ - start),
                                        id, nested};
      }
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
    ++i_;
    i_ += core::plain_string_run(t_.data() + i_, t_.data() + t_.size());
    if (!at('"')) return false;  // a backslash, a control character or the end
    ++i_;
    return true;
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
  ScannedUsage& out_;
  size_t i_ = 0;
};

bool ScannedUsage::read(std::string_view text) {
  count_ = 0;
  objects_ = 0;
  return UsageChecker(text, *this).whole_object();
}

const ScannedMember* ScannedObject::find(std::string_view key) const {
  for (size_t i = 0; i < usage_->count_; ++i) {
    const ScannedMember& m = usage_->members_[i];
    if (m.holder == id_ && m.key == key) return &m;
  }
  return nullptr;
}

std::optional<std::string_view> ScannedObject::member(std::string_view key) const {
  const ScannedMember* m = find(key);
  if (m == nullptr) return std::nullopt;
  return m->value;
}

std::optional<ScannedObject> ScannedObject::object(std::string_view key) const {
  const ScannedMember* m = find(key);
  if (m == nullptr || m->object == ScannedUsage::kNotAnObject) return std::nullopt;
  return ScannedObject(*usage_, m->object);
}

std::optional<ScannedObject> object_member(const ScannedObject& object, std::string_view key) {
  return object.object(key);
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
