#pragma once
// rapidjson for the translators: the include (with the same sanitizer carve-out as
// src/route/inspect.cc) and small readers that never throw and never assert on a value
// of the wrong type.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <istream>
#include <iterator>
#include <limits>
#include <new>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

// rapidjson 1.1.0 (Debian's) adds an offset to its parse stack's null pointer before the
// first allocation, which clang's UBSan reports on every parse in the fuzz build; that
// check is off for rapidjson's code alone (as in src/route/inspect.cc). The standard
// headers it needs come first, outside the pragma.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#if defined(__clang__)
#pragma clang attribute pop
#endif

namespace sluice::translate::json {

using Value = rapidjson::Value;

// A parsed body whose values and parse stack live in buffers inside the object itself
// (so on the caller's stack): a small body is parsed with no heap allocation at all, and
// a larger one spills into 64 KiB heap chunks. rapidjson's default Document allocates its
// allocator, a first chunk and its parse stack on every parse.
struct DocumentBuffers {
  static constexpr size_t kValueBytes = 8192;
  static constexpr size_t kStackBytes = 2048;
  alignas(16) char values[kValueBytes];
  alignas(16) char stack[kStackBytes];
  rapidjson::MemoryPoolAllocator<> value_pool{values, sizeof values};
  rapidjson::MemoryPoolAllocator<> stack_pool{stack, sizeof stack};
};

class Document
    : private DocumentBuffers,
      public rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>,
                                        rapidjson::MemoryPoolAllocator<>> {
 public:
  Document() : GenericDocument(&value_pool, 512, &stack_pool) {}
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;
  // The parse stack's pool, for the reader that fills this document.
  rapidjson::MemoryPoolAllocator<>& stack_allocator() { return stack_pool; }
};

// Parses `text` (not NUL-terminated) into `doc`; false and a message when it is not JSON.
bool parse(std::string_view text, Document& doc, std::string& error);

// The member `key` of `v` when `v` is an object that has it, else nullptr.
const Value* member(const Value& v, std::string_view key);
const Value* member(const Value* v, std::string_view key);

// Typed readers: the member when it has that type, else nullptr / the fallback.
const Value* object(const Value* v, std::string_view key);
const Value* array(const Value* v, std::string_view key);
std::string_view string(const Value* v, std::string_view key, std::string_view fallback = {});
std::string_view string_of(const Value* v, std::string_view fallback = {});
uint64_t uint(const Value* v, std::string_view key);
bool is_string(const Value* v);

// Appends `v` re-serialised as compact JSON. Strings go through the project's escaper,
// so what rapidjson accepted (any bytes) comes out valid UTF-8 JSON.
void append(std::string& out, const Value& v);

}  // namespace sluice::translate::json
