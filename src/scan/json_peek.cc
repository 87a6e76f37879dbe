#include "sluice/scan/json_peek.h"

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sluice/scan/byte_search.h"

namespace sluice::scan::json {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t skip_space(std::string_view text, size_t i) {
  while (i < text.size() && is_space(text[i])) ++i;
  return i;
}

bool escaped(std::string_view text, size_t quote) {
  size_t backslashes = 0;
  while (quote > backslashes && text[quote - backslashes - 1] == '\\') ++backslashes;
  return backslashes % 2 == 1;
}

// Offset after the closing quote of the string whose opening quote is at `pos`, or npos
// if it is unterminated. memchr to each quote: text is most of a body's bytes.
size_t string_end(std::string_view text, size_t pos) {
  for (size_t i = pos + 1; i < text.size();) {
    const void* q = std::memchr(text.data() + i, '"', text.size() - i);
    if (q == nullptr) return npos;
    const size_t at = static_cast<size_t>(static_cast<const char*>(q) - text.data());
    if (!escaped(text, at)) return at + 1;
    i = at + 1;
  }
  return npos;
}

// Offset after the string whose opening quote is at `pos`, or text.size() if unterminated.
size_t skip_string(std::string_view text, size_t pos) {
  const size_t end = string_end(text, pos);
  return end == npos ? text.size() : end;
}

bool key_is_one_of(std::string_view key, std::initializer_list<std::string_view> keys) {
  for (std::string_view k : keys) {
    if (key.size() != k.size()) continue;
    size_t i = 0;
    while (i < k.size() && key[i] == k[i]) ++i;  // keys are short: no memcmp call
    if (i == k.size()) return true;
  }
  return false;
}

}  // namespace

namespace {

// The value offset of a needle hit that is a key, else npos.
size_t value_of_key(std::string_view text, const Needles& quoted_keys, NeedleHit hit) {
  if (escaped(text, hit.pos)) return npos;
  const size_t i = skip_space(text, hit.pos + quoted_keys[hit.index].size());
  if (i >= text.size() || text[i] != ':') return npos;
  return skip_space(text, i + 1);
}

}  // namespace

KeyHit find_keys(std::string_view text, const Needles& quoted_keys, size_t from) {
  while (from < text.size()) {
    const NeedleHit hit = find_first_of(text, quoted_keys, from);
    if (hit.pos == npos) return {};
    from = hit.pos + 1;
    const size_t value = value_of_key(text, quoted_keys, hit);
    if (value != npos) return {value, hit.index};
  }
  return {};
}

KeyHits find_all_keys(std::string_view text, const Needles& quoted_keys, KeyHit* out, size_t max,
                      size_t from) {
  constexpr size_t kBatch = 8;
  KeyHits keys;
  while (from < text.size()) {
    NeedleHit hits[kBatch];
    const NeedleHits found = find_all_of(text, quoted_keys, hits, kBatch, from);
    for (size_t k = 0; k < found.count; ++k) {
      const size_t value = value_of_key(text, quoted_keys, hits[k]);
      if (value == npos) continue;
      if (keys.count == max) {
        keys.resume = hits[k].pos;
        return keys;
      }
      out[keys.count++] = {value, hits[k].index};
    }
    from = found.resume;
  }
  return keys;
}

size_t find_value(std::string_view text, std::string_view quoted_key, size_t from) {
  return find_keys(text, Needles{quoted_key}, from).value;
}

size_t find_value(std::string_view text, const Needles& quoted_key, size_t from) {
  return find_keys(text, quoted_key, from).value;
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

namespace {

#if defined(__SSE2__)
// Bits set in a 16-bit mask (POPCNT is not in baseline x86-64).
unsigned bits16(uint32_t x) {
  x = x - ((x >> 1) & 0x5555);
  x = (x & 0x3333) + ((x >> 2) & 0x3333);
  x = (x + (x >> 4)) & 0x0F0F;
  return (x + (x >> 8)) & 0x1F;
}
#endif

}  // namespace

size_t string_chars(std::string_view text, size_t pos, size_t* end) {
  size_t chars = 0;
  size_t i = pos + 1;
#if defined(__SSE2__)
  // 16 bytes at a time up to the first quote or backslash; UTF-8 continuation bytes
  // (10xxxxxx) are not characters of their own.
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i top_two = _mm_set1_epi8(static_cast<char>(0xC0));
  const __m128i continuation = _mm_set1_epi8(static_cast<char>(0x80));
  while (i + 16 <= text.size()) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    const uint32_t stop = static_cast<uint32_t>(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash))));
    const uint32_t cont = static_cast<uint32_t>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, top_two), continuation)));
    const unsigned run = stop == 0 ? 16 : static_cast<unsigned>(__builtin_ctz(stop));
    chars += run - (cont == 0 ? 0 : bits16(cont & ((uint32_t{1} << run) - 1)));
    i += run;
    if (stop == 0) continue;
    if (text[i] == '"') {
      *end = i + 1;
      return chars;
    }
    // \uXXXX is one character (a surrogate pair counts two; close enough for estimates).
    i += (i + 1 < text.size() && text[i + 1] == 'u') ? 6 : 2;
    ++chars;
  }
#endif
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"') {
      *end = i + 1;
      return chars;
    }
    if (c == '\\') {
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

namespace {

// The unescaped quote before `before`, or npos.
size_t previous_quote(std::string_view text, size_t before) {
  while (before > 0) {
    --before;
    if (text[before] == '"' && !escaped(text, before)) return before;
  }
  return npos;
}

}  // namespace

TrailingString trailing_string(std::string_view text) {
  size_t i = text.size();
  while (i > 0 && (is_space(text[i - 1]) || text[i - 1] == '}')) --i;
  if (i == 0 || text[i - 1] != '"' || escaped(text, i - 1)) return {};
  const size_t close = i - 1;
  const size_t open = previous_quote(text, close);
  if (open == npos) return {};
  size_t k = open;
  while (k > 0 && is_space(text[k - 1])) --k;
  if (k == 0 || text[k - 1] != ':') return {};
  --k;
  while (k > 0 && is_space(text[k - 1])) --k;
  if (k == 0 || text[k - 1] != '"' || escaped(text, k - 1)) return {};
  const size_t key_open = previous_quote(text, k - 1);
  if (key_open == npos) return {};
  // Read forwards, the string must end where it was found to.
  size_t end = 0;
  const size_t chars = string_chars(text, open, &end);
  if (end != close + 1) return {};
  return {open, text.substr(key_open, k - key_open), chars};
}

namespace {

// Offset after the scalar (number, true, false, null) starting at `pos`: up to the next
// delimiter. Empty when `pos` is a delimiter.
size_t skip_scalar(std::string_view text, size_t pos) {
  size_t i = pos;
  while (i < text.size()) {
    const char c = text[i];
    if (c == ',' || c == '}' || c == ']' || c == ':' || c == '"' || c == '{' || c == '[' ||
        is_space(c)) {
      break;
    }
    ++i;
  }
  return i;
}

// Offset after the value starting at `pos`, or npos when it does not end inside `text`.
size_t skip_value(std::string_view text, size_t pos) {
  if (pos >= text.size()) return npos;
  const char c = text[pos];
  if (c == '"') return string_end(text, pos);
  if (c == '{' || c == '[') {
    const size_t len = container_length(text, pos);
    return len == 0 ? npos : pos + len;
  }
  const size_t end = skip_scalar(text, pos);
  return end == pos ? npos : end;
}

}  // namespace

size_t object_members(std::string_view text, Member* out, size_t max) {
  size_t i = skip_space(text, 0);
  if (i >= text.size() || text[i] != '{') return kNotAnObject;
  i = skip_space(text, i + 1);
  size_t count = 0;
  if (i < text.size() && text[i] == '}') {
    ++i;
  } else {
    for (;;) {
      if (i >= text.size() || text[i] != '"') return kNotAnObject;
      const size_t key_end = skip_value(text, i);
      if (key_end == npos) return kNotAnObject;
      const size_t colon = skip_space(text, key_end);
      if (colon >= text.size() || text[colon] != ':') return kNotAnObject;
      const size_t value = skip_space(text, colon + 1);
      const size_t value_end = skip_value(text, value);
      if (value_end == npos || count == max) return kNotAnObject;
      out[count++] = {text.substr(i, key_end - i), text.substr(value, value_end - value)};
      i = skip_space(text, value_end);
      if (i >= text.size()) return kNotAnObject;
      if (text[i] == '}') {
        ++i;
        break;
      }
      if (text[i] != ',') return kNotAnObject;
      i = skip_space(text, i + 1);
    }
  }
  return skip_space(text, i) == text.size() ? count : kNotAnObject;
}

bool object_starts_with_key(std::string_view text, std::string_view quoted_key) {
  size_t i = skip_space(text, 0);
  if (i >= text.size() || text[i] != '{') return false;
  i = skip_space(text, i + 1);
  return text.substr(i, quoted_key.size()) == quoted_key;
}

}  // namespace sluice::scan::json
