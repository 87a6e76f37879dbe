#pragma once
// HTTP/1.1 request head parser. Zero copy: every string_view points into the
// caller's buffer, which must stay alive and unchanged while the head is used.
// Strict by design (RFC 9112): anything a smuggling attack could exploit is an error.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice::http {

struct Header {
  std::string_view name;   // as sent (case preserved)
  std::string_view value;  // leading/trailing OWS stripped
};

// Why a request was refused. Each maps to exactly one status code.
enum class RequestError : uint8_t {
  none,
  bad_request,            // 400: malformed, smuggling defences, bad chunk sizes
  uri_too_long,           // 414
  header_too_large,       // 431: head larger than the limit, or too many headers
  body_too_large,         // 413: Content-Length above the limit
  unsupported_coding,     // 501: Transfer-Encoding other than exactly "chunked"
  version_not_supported,  // 505: not HTTP/1.0 or HTTP/1.1
};
int status_of(RequestError e);               // 400, 414, 431, 413, 501, 505
std::string_view reason_of(RequestError e);  // human text for error bodies

enum class BodyKind : uint8_t { none, content_length, chunked };

inline constexpr size_t kMaxHeaders = 100;

struct RequestLimits {
  size_t max_head_bytes = 16384;  // request line + headers + final CRLF
  size_t max_uri_bytes = 8192;
  uint64_t max_body_bytes = 16 << 20;
};

struct RequestHead {
  std::string_view method;
  std::string_view target;    // request-target as sent ("/v1/x?a=b")
  std::string_view path;      // target up to '?'
  std::string_view query;     // after '?', without it; empty if none
  uint8_t version_minor = 1;  // HTTP/1.<minor>
  Header headers[kMaxHeaders];
  size_t header_count = 0;
  BodyKind body = BodyKind::none;
  uint64_t content_length = 0;   // valid when body == content_length
  bool keep_alive = true;        // from version and Connection header
  bool expect_continue = false;  // "Expect: 100-continue"
  size_t head_bytes = 0;         // bytes of the buffer the head occupies

  // First header with this name (ASCII case-insensitive), or empty view.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

enum class ParseStatus : uint8_t { complete, incomplete, error };

struct RequestParse {
  ParseStatus status;
  RequestError error;  // set when status == error
};

// Parses one request head at the start of `buf`. `incomplete` means more bytes are
// needed (and none of the limits is exceeded yet). On `complete`, `out.head_bytes` is
// where the body (or the next pipelined request) begins.
// Rejected (400): CL together with TE; differing duplicate CL; CL that is not digits;
// obs-fold; bare CR; NUL or other CTLs in a field value; whitespace before ':';
// invalid token characters in method or header names; missing Host on HTTP/1.1.
// Leading empty lines before the request line are tolerated (RFC 9112 2.2).
// Decisions beyond that (tests/http/request_smuggling_test.cc shows each):
// - Lines end in CRLF only; a bare LF is a 400 like a bare CR.
// - Transfer-Encoding: exactly "chunked" frames the body. "chunked" twice or not last,
//   an empty list, or TE on HTTP/1.0 is 400; any other coding ("gzip, chunked",
//   "xchunked", "identity") is 501.
// - Identical duplicate Content-Length lines are accepted; "5, 5" is 400.
//   "Content-Length: 0" gives body == content_length with content_length == 0.
// - Request-target: origin-form, absolute-form (path/query taken from it), "*" for
//   OPTIONS only, authority-form for CONNECT only; '#', SP, CTLs, non-ASCII and
//   "<>\^`{|} are 400. Percent-escapes are not decoded or checked here.
// - More than one Host, or a Host with characters outside a URI authority, is 400.
// - HTTP/1.2 and later minors parse as 1.1 (version_minor == 1); major != 1 is 505.
// - Any token is a method; unknown methods are for routing to refuse.
// Errors in a complete line are reported as soon as that line has arrived, so a
// prefix of a bad head is `incomplete` or already the same error.
RequestParse parse_request_head(std::string_view buf, const RequestLimits& limits,
                                RequestHead& out);

// ASCII case-insensitive equality, for header names and tokens. Inline: most calls
// compare a name with one of another length and end at the first test.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(b[i]);
    if (x == y) continue;
    // Folding with 0x20 is only valid for letters: the same letter, or the same byte.
    const unsigned folded = x | 0x20u;
    if (folded != (y | 0x20u) || folded < 'a' || folded > 'z') return false;
  }
  return true;
}

}  // namespace sluice::http
