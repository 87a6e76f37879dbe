// Fuzzes parse_request_head on arbitrary bytes, then walks the pipelined remainder
// the way a connection would (skipping Content-Length bodies, decoding chunked ones).
// Checks that no view leaves the input and that a complete head is complete on its
// own bytes and incomplete on any shorter prefix.

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "sluice/http/chunked_decoder.h"
#include "sluice/http/request_parser.h"

using namespace sluice::http;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_inside(std::string_view v, std::string_view buf) {
  check(v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

void check_head(const RequestHead& h, std::string_view buf, const RequestLimits& limits) {
  check(h.head_bytes > 0 && h.head_bytes <= buf.size() && h.head_bytes <= limits.max_head_bytes);
  const std::string_view used = buf.substr(0, h.head_bytes);
  for (std::string_view v : {h.method, h.target, h.path, h.query}) check_inside(v, used);
  check(!h.method.empty() && !h.target.empty() && h.target.size() <= limits.max_uri_bytes);
  check(h.header_count <= kMaxHeaders);
  for (size_t i = 0; i < h.header_count; ++i) {
    check_inside(h.headers[i].name, used);
    check_inside(h.headers[i].value, used);
    check(!h.headers[i].name.empty());
  }
  if (h.body == BodyKind::content_length) check(h.content_length <= limits.max_body_bytes);
  check(h.version_minor <= 1);
}

// Skips the body of `h` in `rest`; false if the body is incomplete or malformed.
bool skip_body(const RequestHead& h, std::string_view& rest) {
  if (h.body == BodyKind::content_length) {
    if (rest.size() < h.content_length) return false;
    rest.remove_prefix(h.content_length);
    return true;
  }
  if (h.body != BodyKind::chunked) return true;
  ChunkedDecoder decoder;
  while (true) {
    const ChunkStep s = decoder.step(rest);
    check(s.consumed <= rest.size());
    if (s.status == ChunkStatus::data) check_inside(s.data, rest);
    rest.remove_prefix(s.consumed);
    if (s.status == ChunkStatus::done) return true;
    if (s.status != ChunkStatus::data) return false;
  }
}

void walk(std::string_view buf, const RequestLimits& limits) {
  auto head = std::make_unique<RequestHead>();
  auto again = std::make_unique<RequestHead>();
  for (int i = 0; i < 16 && !buf.empty(); ++i) {
    const RequestParse r = parse_request_head(buf, limits, *head);
    if (r.status == ParseStatus::error) {
      const int code = status_of(r.error);
      check(code == 400 || code == 413 || code == 414 || code == 431 || code == 501 || code == 505);
      return;
    }
    if (r.status == ParseStatus::incomplete) return;
    check_head(*head, buf, limits);
    const RequestParse own = parse_request_head(buf.substr(0, head->head_bytes), limits, *again);
    check(own.status == ParseStatus::complete && again->head_bytes == head->head_bytes);
    check(again->header_count == head->header_count && again->body == head->body);
    const RequestParse shorter =
        parse_request_head(buf.substr(0, head->head_bytes - 1), limits, *again);
    check(shorter.status == ParseStatus::incomplete);
    std::string_view rest = buf.substr(head->head_bytes);
    if (!skip_body(*head, rest)) return;
    buf = rest;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view buf(reinterpret_cast<const char*>(data), size);
  walk(buf, RequestLimits{});
  // Tight limits reach the 414/431/413 paths with small inputs.
  walk(buf, RequestLimits{.max_head_bytes = 200, .max_uri_bytes = 24, .max_body_bytes = 16});
  return 0;
}
