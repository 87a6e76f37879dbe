#pragma once
// Cheap looks into JSON text without parsing it, for the per-event pre-checks of the usage
// extractors: most streamed events are parsed by nobody, so these must cost about as much
// as a memchr. They are tolerant, not validating: on malformed text they return "not
// found" or stop at the end, never read outside `text`.

#include <cstddef>
#include <initializer_list>
#include <string_view>

#include "sluice/scan/byte_search.h"

namespace sluice::scan::json {

inline constexpr size_t npos = std::string_view::npos;

struct KeyHit {
  size_t value = npos;  // offset of the value's first byte, npos when no key was found
  size_t index = 0;     // which of the keys
};

// The first of several keys (quotes included) at or after `from`, in one pass over `text`,
// with the same rules as find_value.
KeyHit find_keys(std::string_view text, const Needles& quoted_keys, size_t from = 0);

struct KeyHits {
  size_t count = 0;      // keys written
  size_t resume = npos;  // where to go on when `out` filled up, else npos
};

// Every use as a key of one of `quoted_keys` at or after `from`, in order, into `out`, in
// a single pass over `text` (keys inside values already read are the caller's to skip).
KeyHits find_all_keys(std::string_view text, const Needles& quoted_keys, KeyHit* out, size_t max,
                      size_t from = 0);

// The offset of the value of the first key `quoted_key` (quotes included, e.g. "\"usage\"")
// at or after `from`: a match whose opening quote is not escaped and that is followed by
// optional whitespace and ':'. The offset is that of the value's first byte (after
// whitespace), or npos. A key-like string inside a string value cannot match, since its
// quotes are escaped, except in contrived cases the callers tolerate (they re-parse).
size_t find_value(std::string_view text, std::string_view quoted_key, size_t from = 0);
// The same for a key built once (a constexpr Needles of one key): no per-call set-up.
size_t find_value(std::string_view text, const Needles& quoted_key, size_t from = 0);

// As find_value, but skips matches whose value is not an object; returns the offset of '{'.
size_t find_object_value(std::string_view text, std::string_view quoted_key, size_t from = 0);

// The length of the object or array starting at `pos` ('{' or '['), strings respected,
// or 0 when it does not end inside `text`.
size_t container_length(std::string_view text, size_t pos);

// Characters in the string whose opening quote is at `pos`: an escape counts one, a UTF-8
// sequence one. `*end` receives the offset after the closing quote (text.size() if none).
size_t string_chars(std::string_view text, size_t pos, size_t* end);

// Characters of all string values, at any depth of the container at `pos`, whose key is one
// of `keys` (given without quotes). `*end` receives the offset after the container.
size_t count_strings_of(std::string_view text, size_t pos,
                        std::initializer_list<std::string_view> keys, size_t* end);

struct TrailingString {
  size_t value = npos;   // offset of the string's opening quote, npos when there is none
  std::string_view key;  // its key, quotes included
  size_t chars = 0;      // its characters, as string_chars counts them
};

// The string value `text` ends with, when only closing braces and whitespace follow it
// and it is an object member (as in Anthropic's content_block_delta, whose text is last):
// read backwards, so the common event skips a forward search.
TrailingString trailing_string(std::string_view text);

struct Member {
  std::string_view key;    // quotes included, as written (escapes not decoded)
  std::string_view value;  // the value's text: a string with its quotes, a container whole
};

inline constexpr size_t kNotAnObject = npos;

// The top-level members of the object `text` holds (whitespace around it allowed), in
// order, into `out`: their count, or kNotAnObject when `text` is not one whole object
// (cut off, something after it, keys that are not strings, a member missing ':' or ',')
// or it has more than `max` members. Values nested inside are only delimited (brackets
// balanced, strings respected), not validated: a cheap look at a body whose usage is one
// small member, for which a full parse would build a tree of everything else.
size_t object_members(std::string_view text, Member* out, size_t max);

// Whether `text` is an object whose first key is `quoted_key` ({"error": ...} envelopes).
bool object_starts_with_key(std::string_view text, std::string_view quoted_key);

}  // namespace sluice::scan::json
