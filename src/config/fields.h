#pragma once
// Typed reading of JSON values with every problem recorded at its source offset.
// Private to src/config.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "json_tree.h"

namespace sluice::config::detail {

// The errors found so far, each at a byte offset of the source text.
class Issues {
 public:
  void add(size_t offset, std::string pointer, std::string message) {
    list_.push_back({offset, std::move(pointer), std::move(message)});
  }
  const std::vector<JsonError>& list() const { return list_; }
  std::vector<JsonError>& list() { return list_; }
  // Files the config names (a provider's ca_file) are checked too: set when loading a
  // config file, not for text alone (tests, fuzzing).
  bool check_files = false;

 private:
  std::vector<JsonError> list_;
};

// `"text"`, with control characters escaped so a message stays on one line.
std::string quote(std::string_view text);
// "an object", "a string", ... as used in "expected X, got Y".
const char* kind_name(Kind kind);

// Each reader checks the type (and range), reports what is wrong at `node`, and
// returns false then, leaving `out` untouched.
bool read_object(Issues& issues, const Node& node, const std::string& pointer);
bool read_array(Issues& issues, const Node& node, const std::string& pointer);
bool read_bool(Issues& issues, const Node& node, const std::string& pointer, bool& out);
// Strings must be non-empty: an empty name, path or URL is always a mistake.
bool read_string(Issues& issues, const Node& node, const std::string& pointer, std::string& out);
bool read_uint(Issues& issues, const Node& node, const std::string& pointer, uint64_t min,
               uint64_t max, uint64_t& out);
// A finite number >= min (> min when `exclusive`).
bool read_number(Issues& issues, const Node& node, const std::string& pointer, double min,
                 bool exclusive, double& out);
// A dollar amount (or a price in USD per million tokens) >= 0 as nano-units, read from the
// number's text so that "0.15" is exactly 150000000; more than 9 decimal places is refused.
bool read_nano(Issues& issues, const Node& node, const std::string& pointer, int64_t& out);
// An array of non-empty strings.
bool read_string_list(Issues& issues, const Node& node, const std::string& pointer,
                      std::vector<std::string>& out);

// The fields of one JSON object. Each field is asked for by name; when the Fields
// goes out of scope, every member nobody asked for is reported as unknown, so a
// typo never silently falls back to a default.
class Fields {
 public:
  // Reports "expected an object" when `node` is not one; then every getter finds nothing.
  Fields(Issues& issues, const Node& node, std::string pointer);
  ~Fields();
  Fields(const Fields&) = delete;
  Fields& operator=(const Fields&) = delete;

  bool is_object() const { return object_ != nullptr; }
  const std::string& pointer() const { return pointer_; }
  const Node& node() const { return node_; }
  std::string pointer_of(std::string_view name) const { return child_pointer(pointer_, name); }

  // The member named `name`, or nullptr when absent.
  const Member* member(std::string_view name);
  const Node* get(std::string_view name);
  // As get; a missing field is reported at this object.
  const Node* require(std::string_view name);
  // A field that must never appear (a secret): reports `message` at it.
  void forbid(std::string_view name, std::string_view message);

  // Typed getters: true when present and valid, `out` is then set.
  bool string(std::string_view name, std::string& out);
  bool required_string(std::string_view name, std::string& out);
  bool boolean(std::string_view name, bool& out);
  bool u16(std::string_view name, uint16_t& out, uint64_t min, uint64_t max);
  bool u32(std::string_view name, uint32_t& out, uint64_t min,
           uint64_t max = std::numeric_limits<uint32_t>::max());
  bool u64(std::string_view name, uint64_t& out, uint64_t min,
           uint64_t max = std::numeric_limits<uint64_t>::max());
  bool number(std::string_view name, double& out, double min, bool exclusive = false);
  bool nano(std::string_view name, int64_t& out);

 private:
  Issues& issues_;
  const Node& node_;
  const Node* object_;
  std::string pointer_;
  std::vector<bool> seen_;
  std::vector<std::string> known_;  // names asked for: candidates for "did you mean"
};

}  // namespace sluice::config::detail
