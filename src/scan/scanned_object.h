#pragma once
// A usage object read by the project's own scanner, not by a parse into a tree: one
// pass checks it, and its members are then looked up in the checked text. It reads only
// the objects it reads exactly as the parser would, and says so; the parser takes any
// other (escapes in strings, fractions and exponents, integers beyond 64 bits, deep
// nesting), so its verdicts and values never differ from the parser's.

#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::scan::detail {

class ScannedObject {
 public:
  // The object `text` holds (whitespace around it allowed) when the scanner reads it as
  // the parser does; nullopt when `text` is not one whole JSON object or when it holds
  // something the scanner leaves to the parser.
  static std::optional<ScannedObject> read(std::string_view text);

  // As detail::member on a parsed object: the first member named `key`, else nullopt.
  // The member's value text, whitespace trimmed.
  std::optional<std::string_view> member(std::string_view key) const;

 private:
  explicit ScannedObject(std::string_view text) : text_(text) {}
  std::string_view text_;  // one checked object, from '{' to '}'
};

// The helpers of json_doc.h for a scanned object, with the same results.
std::optional<ScannedObject> object_member(const ScannedObject& object, std::string_view key);
bool read_count(const ScannedObject& object, std::string_view key, uint64_t& out);
uint64_t count_member(const ScannedObject& object, std::string_view key);

}  // namespace sluice::scan::detail
