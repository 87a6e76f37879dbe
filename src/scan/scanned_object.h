#pragma once
// A usage object read by the project's own scanner, not by a parse into a tree: one
// pass checks it and notes every object member (key, value text, which object holds
// it) in a small table, and lookups read the table. It reads only the objects it reads
// exactly as the parser would, and says so; the parser takes any other (escapes in
// strings, fractions and exponents, integers beyond 64 bits, deep nesting, more members
// than the table holds), so its verdicts and values never differ from the parser's.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::scan::detail {

class ScannedUsage;

// A member of a scanned object, as the check noted it.
struct ScannedMember {
  std::string_view key;  // without its quotes (the scanner takes no escapes)
  std::string_view value;
  uint16_t holder;  // the object the member belongs to (0: the root)
  uint16_t object;  // the object the value is, or ScannedUsage::kNotAnObject
};

// One object of a scanned usage object (the root, or an object nested in it).
class ScannedObject {
 public:
  // As detail::member on a parsed object: the value text of the first member named
  // `key`, else nullopt.
  std::optional<std::string_view> member(std::string_view key) const;
  // The member `key` when it is an object.
  std::optional<ScannedObject> object(std::string_view key) const;

 private:
  friend class ScannedUsage;
  ScannedObject(const ScannedUsage& usage, uint16_t id) : usage_(&usage), id_(id) {}
  // The first member named `key` of this object, else nullptr.
  const ScannedMember* find(std::string_view key) const;
  const ScannedUsage* usage_;
  uint16_t id_;  // which object of usage_
};

class ScannedUsage {
 public:
  // Reads `text` (whitespace around one object): false when it is not one whole JSON
  // object or when it holds something the scanner leaves to the parser. The text must
  // outlive this.
  bool read(std::string_view text);
  ScannedObject root() const { return ScannedObject(*this, 0); }

 private:
  friend class ScannedObject;
  friend class UsageChecker;
  static constexpr size_t kMaxMembers = 64;
  static constexpr uint16_t kMaxObjects = 64;
  static constexpr uint16_t kNotAnObject = UINT16_MAX;
  ScannedMember members_[kMaxMembers];
  size_t count_ = 0;
  uint16_t objects_ = 0;
};

// The helpers of json_doc.h for a scanned object, with the same results.
std::optional<ScannedObject> object_member(const ScannedObject& object, std::string_view key);
bool read_count(const ScannedObject& object, std::string_view key, uint64_t& out);
uint64_t count_member(const ScannedObject& object, std::string_view key);

}  // namespace sluice::scan::detail
