#pragma once
// A parsed JSON document that remembers where every value and key starts in the
// source text, so that validation errors can name FILE:LINE:COLUMN. Built by a
// rapidjson SAX handler; private to src/config.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::config::detail {

enum class Kind { null, boolean, number, string, array, object };

struct Member;

struct Node {
  Kind kind = Kind::null;
  size_t offset = 0;  // byte offset of the value's first character
  bool boolean = false;
  // Numbers: `number` always holds the value; integers written without a fraction
  // or exponent also keep their exact value as sign + magnitude.
  double number = 0;
  bool is_integer = false;
  bool negative = false;
  uint64_t magnitude = 0;
  // Numbers: the text as written ("0.15", "2.5e-3"), for amounts that must be exact.
  std::string_view number_text;
  std::string string;
  std::vector<Node> items;  // array elements
  // Object members in document order; a duplicate key is reported and dropped.
  std::vector<Member> members;
};

struct Member {
  std::string key;
  size_t key_offset = 0;  // offset of the key's opening quote
  Node value;
};

struct JsonError {
  size_t offset = 0;
  std::string pointer;
  std::string message;
};

struct JsonDocument {
  Node root;
  bool complete = false;          // false: a syntax error stopped the parse, `root` is unusable
  std::vector<JsonError> errors;  // syntax error and duplicate keys
};

// Objects and arrays nested deeper than this are refused: no config needs it, and it
// bounds the recursion of everything that walks the tree.
inline constexpr size_t kMaxDepth = 64;

// Parses JSON with `//` and `/* */` comments and trailing commas allowed. Nodes' number_text
// points into `text`, which must outlive the document.
JsonDocument parse_json(std::string_view text);

// RFC 6901 pointer of a member or element below `parent`.
std::string child_pointer(const std::string& parent, std::string_view key);
std::string child_pointer(const std::string& parent, size_t index);

}  // namespace sluice::config::detail
