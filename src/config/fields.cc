#include "fields.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "sluice/core/money.h"

namespace sluice::config::detail {

namespace {

std::string got(const Node& node) { return std::string(", got ") + kind_name(node.kind); }

std::string format_double(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

// Levenshtein distance, for "did you mean". Long names are never typos of ours.
size_t edit_distance(std::string_view a, std::string_view b) {
  if (a.size() > 64 || b.size() > 64) return 64;
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::null:
      return "null";
    case Kind::boolean:
      return "a boolean";
    case Kind::number:
      return "a number";
    case Kind::string:
      return "a string";
    case Kind::array:
      return "an array";
    case Kind::object:
      return "an object";
  }
  return "a value";
}

bool read_object(Issues& issues, const Node& node, const std::string& pointer) {
  if (node.kind == Kind::object) return true;
  issues.add(node.offset, pointer, "expected an object" + got(node));
  return false;
}

bool read_array(Issues& issues, const Node& node, const std::string& pointer) {
  if (node.kind == Kind::array) return true;
  issues.add(node.offset, pointer, "expected an array" + got(node));
  return false;
}

bool read_bool(Issues& issues, const Node& node, const std::string& pointer, bool& out) {
  if (node.kind != Kind::boolean) {
    issues.add(node.offset, pointer, "expected a boolean" + got(node));
    return false;
  }
  out = node.boolean;
  return true;
}

bool read_string(Issues& issues, const Node& node, const std::string& pointer, std::string& out) {
  if (node.kind != Kind::string) {
    issues.add(node.offset, pointer, "expected a string" + got(node));
    return false;
  }
  if (node.string.empty()) {
    issues.add(node.offset, pointer, "must not be empty");
    return false;
  }
  out = node.string;
  return true;
}

bool read_uint(Issues& issues, const Node& node, const std::string& pointer, uint64_t min,
               uint64_t max, uint64_t& out) {
  if (node.kind != Kind::number) {
    issues.add(node.offset, pointer, "expected an integer" + got(node));
    return false;
  }
  bool negative = node.negative;
  uint64_t value = node.magnitude;
  if (!node.is_integer) {
    // 1e6 or 100.0 are integers written differently; 1.5 is not.
    constexpr double kExact = 9007199254740992.0;  // 2^53
    double d = node.number;
    if (d != std::floor(d) || std::fabs(d) > kExact) {
      issues.add(node.offset, pointer, "expected an integer, got a fractional number");
      return false;
    }
    negative = d < 0;
    value = static_cast<uint64_t>(std::fabs(d));
  }
  if (negative || value < min || value > max) {
    bool open_top =
        max == std::numeric_limits<uint64_t>::max() || max == std::numeric_limits<uint32_t>::max();
    if ((negative || value < min) && open_top) {
      issues.add(node.offset, pointer, "must be at least " + std::to_string(min));
    } else {
      issues.add(node.offset, pointer,
                 "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return false;
  }
  out = value;
  return true;
}

bool read_number(Issues& issues, const Node& node, const std::string& pointer, double min,
                 bool exclusive, double& out) {
  if (node.kind != Kind::number) {
    issues.add(node.offset, pointer, "expected a number" + got(node));
    return false;
  }
  if (exclusive ? !(node.number > min) : !(node.number >= min)) {
    issues.add(node.offset, pointer,
               (exclusive ? "must be greater than " : "must be at least ") + format_double(min));
    return false;
  }
  out = node.number;
  return true;
}

bool read_nano(Issues& issues, const Node& node, const std::string& pointer, int64_t& out) {
  if (node.kind != Kind::number) {
    issues.add(node.offset, pointer, "expected a number" + got(node));
    return false;
  }
  const money::Parsed parsed = money::parse_nano(node.number_text);
  switch (parsed.error) {
    case money::ParseError::none:
      out = parsed.nano;
      return true;
    case money::ParseError::negative:
      issues.add(node.offset, pointer, "must be at least 0");
      return false;
    case money::ParseError::too_precise:
      issues.add(node.offset, pointer,
                 "more than 9 decimal places (amounts are exact to 0.000000001)");
      return false;
    case money::ParseError::too_large:
      issues.add(node.offset, pointer, "too large (at most 9223372036.854775807)");
      return false;
    case money::ParseError::malformed:
      break;
  }
  issues.add(node.offset, pointer, "unreadable number " + quote(node.number_text));
  return false;
}

bool read_string_list(Issues& issues, const Node& node, const std::string& pointer,
                      std::vector<std::string>& out) {
  if (!read_array(issues, node, pointer)) return false;
  bool ok = true;
  std::vector<std::string> list;
  for (size_t i = 0; i < node.items.size(); ++i) {
    std::string s;
    if (read_string(issues, node.items[i], child_pointer(pointer, i), s)) {
      list.push_back(std::move(s));
    } else {
      ok = false;
    }
  }
  if (ok) out = std::move(list);
  return ok;
}

Fields::Fields(Issues& issues, const Node& node, std::string pointer)
    : issues_(issues), node_(node), object_(nullptr), pointer_(std::move(pointer)) {
  if (read_object(issues_, node, pointer_)) {
    object_ = &node;
    seen_.assign(node.members.size(), false);
  }
}

Fields::~Fields() {
  if (object_ == nullptr) return;
  for (size_t i = 0; i < object_->members.size(); ++i) {
    if (seen_[i]) continue;
    const Member& m = object_->members[i];
    std::string message = "unknown field " + quote(m.key);
    const std::string* best = nullptr;
    size_t best_distance = 3;  // suggest only close misspellings
    for (const std::string& k : known_) {
      size_t d = edit_distance(m.key, k);
      // A unit left off ("max_wait" for "max_wait_ms") is a typo too.
      bool prefix = m.key.size() >= 4 && k.starts_with(m.key);
      if ((d < best_distance || (prefix && best == nullptr)) && d < k.size()) {
        best = &k;
        best_distance = d;
      }
    }
    if (best != nullptr) message += " (did you mean " + quote(*best) + "?)";
    issues_.add(m.key_offset, pointer_of(m.key), std::move(message));
  }
}

const Member* Fields::member(std::string_view name) {
  if (std::find(known_.begin(), known_.end(), name) == known_.end()) known_.emplace_back(name);
  if (object_ == nullptr) return nullptr;
  for (size_t i = 0; i < object_->members.size(); ++i) {
    if (object_->members[i].key == name) {
      seen_[i] = true;
      return &object_->members[i];
    }
  }
  return nullptr;
}

const Node* Fields::get(std::string_view name) {
  const Member* m = member(name);
  return m == nullptr ? nullptr : &m->value;
}

const Node* Fields::require(std::string_view name) {
  const Node* n = get(name);
  if (n == nullptr && object_ != nullptr) {
    issues_.add(node_.offset, pointer_, "missing required field " + quote(name));
  }
  return n;
}

void Fields::forbid(std::string_view name, std::string_view message) {
  if (object_ == nullptr) return;
  for (size_t i = 0; i < object_->members.size(); ++i) {
    if (object_->members[i].key == name) {
      seen_[i] = true;
      issues_.add(object_->members[i].key_offset, pointer_of(name), std::string(message));
    }
  }
}

bool Fields::string(std::string_view name, std::string& out) {
  const Node* n = get(name);
  return n != nullptr && read_string(issues_, *n, pointer_of(name), out);
}

bool Fields::required_string(std::string_view name, std::string& out) {
  const Node* n = require(name);
  return n != nullptr && read_string(issues_, *n, pointer_of(name), out);
}

bool Fields::boolean(std::string_view name, bool& out) {
  const Node* n = get(name);
  return n != nullptr && read_bool(issues_, *n, pointer_of(name), out);
}

bool Fields::u16(std::string_view name, uint16_t& out, uint64_t min, uint64_t max) {
  uint64_t v = 0;
  if (!u64(name, v, min, std::min<uint64_t>(max, 65535))) return false;
  out = static_cast<uint16_t>(v);
  return true;
}

bool Fields::u32(std::string_view name, uint32_t& out, uint64_t min, uint64_t max) {
  uint64_t v = 0;
  if (!u64(name, v, min, std::min<uint64_t>(max, std::numeric_limits<uint32_t>::max()))) {
    return false;
  }
  out = static_cast<uint32_t>(v);
  return true;
}

bool Fields::u64(std::string_view name, uint64_t& out, uint64_t min, uint64_t max) {
  const Node* n = get(name);
  return n != nullptr && read_uint(issues_, *n, pointer_of(name), min, max, out);
}

bool Fields::number(std::string_view name, double& out, double min, bool exclusive) {
  const Node* n = get(name);
  return n != nullptr && read_number(issues_, *n, pointer_of(name), min, exclusive, out);
}

bool Fields::nano(std::string_view name, int64_t& out) {
  const Node* n = get(name);
  return n != nullptr && read_nano(issues_, *n, pointer_of(name), out);
}

}  // namespace sluice::config::detail
