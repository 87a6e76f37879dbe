#pragma once
// The parts of a message head that requests and responses share (RFC 9112 5):
// field lines, and the framing fields read from them. Internal to src/http.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sluice/http/request_parser.h"

namespace sluice::http::detail {

// The bytes a head may occupy: [begin, stop). `capped` says stop is the head-size
// limit rather than the end of the received bytes, so running into it is an error
// (431) and not a reason to wait for more.
struct Window {
  const char* stop;
  bool capped;
};

inline Window make_window(std::string_view buf, size_t max_head_bytes) {
  const bool capped = buf.size() >= max_head_bytes;
  return {buf.data() + (capped ? max_head_bytes : buf.size()), capped};
}

struct Scan {
  ParseStatus status;
  RequestError error;
  const char* next;  // on complete: the first byte after what was parsed
};

inline Scan ran_out(Window w) {
  if (w.capped) return {ParseStatus::error, RequestError::header_too_large, nullptr};
  return {ParseStatus::incomplete, RequestError::none, nullptr};
}
inline Scan malformed() { return {ParseStatus::error, RequestError::bad_request, nullptr}; }

// Skips the empty lines a peer may send before a start line (RFC 9112 2.2).
Scan skip_empty_lines(const char* p, Window w);

// Parses field lines from `p` through the empty line that ends the head, appending
// to headers[count..kMaxHeaders). Rejects obs-fold, whitespace before ':', empty or
// non-token names, bare CR, bare LF, NUL and other CTLs (HTAB excepted) in values.
Scan parse_field_lines(const char* p, Window w, Header* headers, size_t& count);

// Strips OWS from both ends.
std::string_view trim_ows(std::string_view v);

// Content-Length = 1*DIGIT. False on anything else: sign, inner space, list, overflow.
bool parse_content_length(std::string_view v, uint64_t& out);

// The Content-Length field lines of one message, combined.
struct ContentLength {
  bool present = false;
  bool invalid = false;  // a value that is not 1*DIGIT, or two that differ
  uint64_t value = 0;
  void add(std::string_view field_value);
};

// The transfer codings of all Transfer-Encoding field lines, in order.
struct TransferCodings {
  bool present = false;
  uint32_t elements = 0;  // non-empty list elements
  uint32_t chunked = 0;   // how many of them are "chunked"
  bool chunked_last = false;
  bool unknown = false;  // any coding other than "chunked"
  void add(std::string_view field_value);
  // Exactly one coding, and it is chunked.
  bool only_chunked() const { return elements == 1 && chunked == 1; }
};

// The connection options that decide persistence (RFC 9112 9.3).
struct ConnectionOptions {
  bool close = false;
  bool keep_alive = false;
  void add(std::string_view field_value);
  // Whether the connection persists after this message, given its HTTP/1.<minor>.
  bool persists(uint8_t version_minor) const {
    if (close) return false;
    return version_minor >= 1 || keep_alive;
  }
};

// Calls fn(element) for each non-empty element of a comma-separated list, OWS trimmed.
template <typename Fn>
void for_each_list_element(std::string_view v, Fn&& fn) {
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    if (comma == std::string_view::npos) comma = v.size();
    const std::string_view element = trim_ows(v.substr(start, comma - start));
    if (!element.empty()) fn(element);
    start = comma + 1;
  }
}

}  // namespace sluice::http::detail
