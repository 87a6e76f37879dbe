#pragma once
// HTTP/1.1 response head parser for the upstream client. Zero copy, like the
// request parser: views point into the caller's buffer.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sluice/http/request_parser.h"

namespace sluice::http {

enum class ResponseBody : uint8_t {
  none,            // 1xx, 204, 304, or a response to HEAD
  content_length,  // exactly content_length bytes follow
  chunked,         // chunked coding, ends with the last-chunk
  until_close,     // delimited by the server closing the connection
};

struct ResponseHead {
  uint8_t version_minor = 1;
  int status = 0;
  std::string_view reason;
  Header headers[kMaxHeaders];
  size_t header_count = 0;
  ResponseBody body = ResponseBody::none;
  uint64_t content_length = 0;
  bool keep_alive = true;  // the connection may be reused after this response
  size_t head_bytes = 0;

  std::string_view header(std::string_view name) const;
};

// Parses a response head at the start of `buf`. `request_was_head` selects the
// no-body rule for HEAD. Errors (malformed status line, CL+TE, differing CLs,
// bad CL, CTLs, head over max_head_bytes) return status == error with
// RequestError::bad_request (or header_too_large).
// Framing (RFC 9112 6.3): a coding list ending in chunked is `chunked` (codings before
// it pass through); any other list is `until_close`; "chunked" twice, or TE on
// HTTP/1.0, is an error. `until_close` and 101 clear keep_alive. The status must be
// 100-599; "HTTP/1.1 200\r\n" without a reason is accepted.
RequestParse parse_response_head(std::string_view buf, bool request_was_head, size_t max_head_bytes,
                                 ResponseHead& out);

}  // namespace sluice::http
