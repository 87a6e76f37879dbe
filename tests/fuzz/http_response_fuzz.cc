// Fuzzes parse_response_head: views stay inside the input, framing is consistent
// with the status, a complete head is complete on its own bytes and incomplete on
// any shorter prefix, and a chunked body after it decodes without trouble.

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "sluice/http/chunked_decoder.h"
#include "sluice/http/response_parser.h"

using namespace sluice::http;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_inside(std::string_view v, std::string_view buf) {
  check(v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool request_was_head = (data[0] & 1) != 0;
  const size_t max_head = (data[0] & 2) != 0 ? 128 : 16384;
  const std::string_view buf(reinterpret_cast<const char*>(data + 1), size - 1);
  auto head = std::make_unique<ResponseHead>();
  const RequestParse r = parse_response_head(buf, request_was_head, max_head, *head);
  if (r.status == ParseStatus::error) {
    check(r.error == RequestError::bad_request || r.error == RequestError::header_too_large);
    return 0;
  }
  if (r.status == ParseStatus::incomplete) {
    check(buf.size() < max_head);
    return 0;
  }
  check(head->head_bytes > 0 && head->head_bytes <= buf.size() && head->head_bytes <= max_head);
  const std::string_view used = buf.substr(0, head->head_bytes);
  check_inside(head->reason, used);
  check(head->header_count <= kMaxHeaders);
  for (size_t i = 0; i < head->header_count; ++i) {
    check_inside(head->headers[i].name, used);
    check_inside(head->headers[i].value, used);
  }
  check(head->status >= 100 && head->status <= 599);
  const bool bodiless = head->status < 200 || head->status == 204 || head->status == 304;
  if (bodiless || request_was_head) check(head->body == ResponseBody::none);
  if (head->body == ResponseBody::until_close) check(!head->keep_alive);

  auto again = std::make_unique<ResponseHead>();
  const RequestParse own = parse_response_head(used, request_was_head, max_head, *again);
  check(own.status == ParseStatus::complete && again->head_bytes == head->head_bytes);
  check(again->body == head->body && again->keep_alive == head->keep_alive);
  const RequestParse shorter =
      parse_response_head(used.substr(0, used.size() - 1), request_was_head, max_head, *again);
  check(shorter.status == ParseStatus::incomplete);

  if (head->body == ResponseBody::chunked) {
    std::string_view rest = buf.substr(head->head_bytes);
    ChunkedDecoder decoder;
    for (ChunkStep s = decoder.step(rest); s.status == ChunkStatus::data; s = decoder.step(rest)) {
      check_inside(s.data, rest);
      rest.remove_prefix(s.consumed);
    }
  }
  return 0;
}
