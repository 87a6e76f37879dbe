#include "sluice/scan/json_peek.h"

#include "sluice/scan/byte_search.h"

namespace sluice::scan::json {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t skip_space(std::string_view text, size_t i) {
  while (i < text.size() && is_space(text[i])) ++i;
  return i;
}

// Offset after the string whose opening quote is at `pos`, or text.size() if unterminated.
size_t skip_string(std::string_view text, size_t pos) {
  size_t i = pos + 1;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"') return i + 1;
    i += (c == '\\') ? 2 : 1;
  }
  return text.size();
}

bool escaped(std::string_view text, size_t quote) {
  size_t backslashes = 0;
  while (quote > backslashes && text[quote - backslashes - 1] == '\\') ++backslashes;
  return backslashes % 2 == 1;
}

bool key_is_one_of(std::string_view key, std::initializer_list<std::string_view> keys) {
  for (std::string_view k : keys) {
    if (key == k) return true;
  }
  return false;
}

}  // namespace

size_t find_value(std::string_view text, std::string_view quoted_key, size_t from) {
  while (from < text.size()) {
    const size_t hit = find_bytes(text.substr(from), quoted_key);
    if (hit == npos) return npos;
    const size_t at = from + hit;
    from = at + 1;
    if (escaped(text, at)) continue;
    size_t i = skip_space(text, at + quoted_key.size());
    if (i >= text.size() || text[i] != ':') continue;
    return skip_space(text, i + 1);
  }
  return npos;
}

size_t find_object_value(std::string_view text, std::string_view quoted_key, size_t from) {
  for (;;) {
    const size_t at = find_value(text, quoted_key, from);
    if (at == npos || at >= text.size()) return npos;
    if (text[at] == '{') return at;
    from = at;
  }
}

size_t container_length(std::string_view text, size_t pos) {
  size_t depth = 0;
  size_t i = pos;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"') {
      i = skip_string(text, i);
      continue;
    }
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return 0;
      if (--depth == 0) return i + 1 - pos;
    }
    ++i;
  }
  return 0;
}

size_t string_chars(std::string_view text, size_t pos, size_t* end) {
  size_t chars = 0;
  size_t i = pos + 1;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"') {
      *end = i + 1;
      return chars;
    }
    if (c == '\\') {
      // \uXXXX is one character (a surrogate pair counts two; close enough for estimates).
      i += (i + 1 < text.size() && text[i + 1] == 'u') ? 6 : 2;
      ++chars;
      continue;
    }
    if ((c & 0xC0) != 0x80) ++chars;  // not a UTF-8 continuation byte
    ++i;
  }
  *end = text.size();
  return chars;
}

size_t count_strings_of(std::string_view text, size_t pos,
                        std::initializer_list<std::string_view> keys, size_t* end) {
  size_t chars = 0;
  size_t depth = 0;
  bool counting = false;  // the last key seen is one of `keys`
  size_t i = pos;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"') {
      size_t after = 0;
      const size_t n = string_chars(text, i, &after);
      const size_t next = skip_space(text, after);
      if (next < text.size() && text[next] == ':') {
        const size_t key_len = after > i + 1 ? after - i - 2 : 0;
        counting = key_is_one_of(text.substr(i + 1, key_len), keys);
      } else if (counting) {
        chars += n;
      }
      i = after;
      continue;
    }
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth <= 1) {
        *end = i + 1;
        return chars;
      }
      --depth;
    }
    ++i;
  }
  *end = text.size();
  return chars;
}

bool object_starts_with_key(std::string_view text, std::string_view quoted_key) {
  size_t i = skip_space(text, 0);
  if (i >= text.size() || text[i] != '{') return false;
  i = skip_space(text, i + 1);
  return text.substr(i, quoted_key.size()) == quoted_key;
}

}  // namespace sluice::scan::json
