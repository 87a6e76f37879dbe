#pragma once
// A rapidjson document for the few events and bodies worth parsing. Its first few KiB of
// values and parse stack live inside the object, so a usage chunk parses without touching
// the heap; larger documents spill into malloc. Parsing is iterative, so hostile nesting
// cannot exhaust the call stack.

// rapidjson 1.1.0 (Debian's) adds an offset to its stacks' null pointer before their first
// allocation; clang's UBSan reports that on every parse in the fuzz build. The arithmetic
// is only compared, never dereferenced, so the check is turned off for rapidjson's code.
#if defined(__clang__)
// What rapidjson includes comes first, so that the pragma reaches rapidjson's code only.
#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iosfwd>
#include <iterator>
#include <limits>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/document.h>
#if defined(__clang__)
#pragma clang attribute pop
#endif

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice::scan::detail {

class JsonDoc {
 public:
  JsonDoc() = default;
  JsonDoc(const JsonDoc&) = delete;
  JsonDoc& operator=(const JsonDoc&) = delete;

  // Whether `text` is one complete JSON value (surrounding whitespace allowed).
  bool parse(std::string_view text);
  const rapidjson::Value& root() const { return doc_; }

 private:
  using Pool = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;
  using Document = rapidjson::GenericDocument<rapidjson::UTF8<>, Pool, Pool>;
  static constexpr size_t kValueBytes = 8192;
  static constexpr size_t kStackBytes = 2048;

  alignas(8) char value_bytes_[kValueBytes];
  alignas(8) char stack_bytes_[kStackBytes];
  Pool value_pool_{value_bytes_, kValueBytes};
  Pool stack_pool_{stack_bytes_, kStackBytes};
  Document doc_{&value_pool_, kStackBytes / 2, &stack_pool_};
};

// The member `key` of `object` when `object` is an object holding one, else nullptr.
const rapidjson::Value* member(const rapidjson::Value& object, std::string_view key);
// The member `key` when it is an object, else nullptr.
const rapidjson::Value* object_member(const rapidjson::Value& object, std::string_view key);
// The member `key` when it is a string, else empty.
std::string_view string_member(const rapidjson::Value& object, std::string_view key);
// Whether the member `key` is a number; `out` gets it as a count (negative → 0,
// fractions dropped, huge values clamped).
bool read_count(const rapidjson::Value& object, std::string_view key, uint64_t& out);
// The member `key` as a count, 0 when absent or not a number.
uint64_t count_member(const rapidjson::Value& object, std::string_view key);

}  // namespace sluice::scan::detail
