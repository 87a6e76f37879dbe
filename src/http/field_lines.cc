#include "field_lines.h"

#include "char_class.h"

namespace sluice::http {

namespace detail {

Scan skip_empty_lines(const char* p, Window w) {
  while (true) {
    if (p == w.stop) return ran_out(w);
    if (*p != '\r') return {ParseStatus::complete, RequestError::none, p};
    if (p + 1 == w.stop) return ran_out(w);
    if (p[1] != '\n') return malformed();
    p += 2;
  }
}

namespace {

// Finds the CRLF that ends a field value starting at `p`; returns a pointer to its CR.
Scan find_value_end(const char* p, Window w) {
  while (true) {
    p = find_ctl(p, w.stop);
    if (p == w.stop) return ran_out(w);
    if (*p == '\t') {
      ++p;
      continue;
    }
    if (*p != '\r') return malformed();  // NUL, bare LF, DEL, other CTLs
    if (p + 1 == w.stop) return ran_out(w);
    if (p[1] != '\n') return malformed();  // bare CR
    return {ParseStatus::complete, RequestError::none, p};
  }
}

// Finds the ':' that ends a field name starting at `p`. Names are most of the bytes
// a head has outside values; the 4-byte stride drops three of four bound checks.
Scan find_name_end(const char* p, Window w) {
  const char* name = p;
  while (w.stop - p >= 4 && kTchar[p[0]] && kTchar[p[1]] && kTchar[p[2]] && kTchar[p[3]]) p += 4;
  while (p < w.stop && kTchar[*p]) ++p;
  if (p == w.stop) return ran_out(w);
  if (*p != ':' || p == name) return malformed();
  return {ParseStatus::complete, RequestError::none, p};
}

}  // namespace

Scan parse_field_lines(const char* p, Window w, Header* headers, size_t& count) {
  while (true) {
    if (p == w.stop) return ran_out(w);
    if (*p == '\r') {
      if (p + 1 == w.stop) return ran_out(w);
      if (p[1] != '\n') return malformed();
      return {ParseStatus::complete, RequestError::none, p + 2};
    }
    // A line starting with SP/HTAB (obs-fold, or whitespace before the first field)
    // fails here too: it is not a tchar, and the name would be empty.
    const Scan colon = find_name_end(p, w);
    if (colon.status != ParseStatus::complete) return colon;
    const std::string_view field_name(p, static_cast<size_t>(colon.next - p));
    p = colon.next + 1;
    while (p < w.stop && is_ows(*p)) ++p;
    const char* value = p;
    const Scan end = find_value_end(p, w);
    if (end.status != ParseStatus::complete) return end;
    const char* value_end = end.next;
    while (value_end > value && is_ows(value_end[-1])) --value_end;
    if (count == kMaxHeaders) {
      return {ParseStatus::error, RequestError::header_too_large, nullptr};
    }
    headers[count++] = {field_name,
                        std::string_view(value, static_cast<size_t>(value_end - value))};
    p = end.next + 2;
  }
}

std::string_view trim_ows(std::string_view v) {
  size_t b = 0;
  size_t e = v.size();
  while (b < e && is_ows(v[b])) ++b;
  while (e > b && is_ows(v[e - 1])) --e;
  return v.substr(b, e - b);
}

bool parse_content_length(std::string_view v, uint64_t& out) {
  if (v.empty()) return false;
  uint64_t n = 0;
  for (char c : v) {
    if (!is_digit(static_cast<unsigned char>(c))) return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (n > (UINT64_MAX - digit) / 10) return false;
    n = n * 10 + digit;
  }
  out = n;
  return true;
}

void ContentLength::add(std::string_view field_value) {
  uint64_t n = 0;
  if (!parse_content_length(field_value, n) || (present && n != value)) invalid = true;
  present = true;
  value = n;
}

void TransferCodings::add(std::string_view field_value) {
  present = true;
  for_each_list_element(field_value, [this](std::string_view coding) {
    ++elements;
    const bool is_chunked = iequals(coding, "chunked");
    chunked += is_chunked ? 1 : 0;
    unknown = unknown || !is_chunked;
    chunked_last = is_chunked;
  });
}

void ConnectionOptions::add(std::string_view field_value) {
  for_each_list_element(field_value, [this](std::string_view option) {
    if (iequals(option, "close")) close = true;
    if (iequals(option, "keep-alive")) keep_alive = true;
  });
}

}  // namespace detail
}  // namespace sluice::http
