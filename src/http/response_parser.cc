#include "sluice/http/response_parser.h"

#include "char_class.h"
#include "field_lines.h"

namespace sluice::http {

using detail::malformed;
using detail::ran_out;
using detail::Scan;
using detail::Window;

std::string_view ResponseHead::header(std::string_view name) const {
  for (size_t i = 0; i < header_count; ++i) {
    if (iequals(headers[i].name, name)) return headers[i].value;
  }
  return {};
}

namespace {

// status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ] CRLF. A missing
// "SP reason" is tolerated: some servers send "HTTP/1.1 200\r\n", and the reason
// carries no meaning.
Scan parse_status_line(const char* p, Window w, ResponseHead& out) {
  static constexpr char kStart[] = "HTTP/#.# ###";  // '#' marks a digit
  for (size_t i = 0; i + 1 < sizeof(kStart); ++i) {
    if (p + i == w.stop) return ran_out(w);
    const char c = p[i];
    const bool good =
        kStart[i] == '#' ? detail::is_digit(static_cast<unsigned char>(c)) : c == kStart[i];
    if (!good) return malformed();
  }
  if (p[5] != '1') return malformed();
  out.version_minor = p[7] == '0' ? 0 : 1;
  out.status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
  if (out.status < 100 || out.status > 599) return malformed();
  p += sizeof(kStart) - 1;

  if (p == w.stop) return ran_out(w);
  const char* reason = p;
  if (*p == ' ') {
    reason = ++p;
    while (true) {
      p = detail::find_ctl(p, w.stop);
      if (p == w.stop) return ran_out(w);
      if (*p != '\t') break;
      ++p;
    }
  }
  if (*p != '\r') return malformed();
  if (p + 1 == w.stop) return ran_out(w);
  if (p[1] != '\n') return malformed();
  out.reason = std::string_view(reason, static_cast<size_t>(p - reason));
  return {ParseStatus::complete, RequestError::none, p + 2};
}

// Decides the body length (RFC 9112 6.3) and whether the connection persists.
bool interpret_fields(bool request_was_head, ResponseHead& out) {
  detail::ContentLength length;
  detail::TransferCodings codings;
  detail::ConnectionOptions connection;
  for (size_t i = 0; i < out.header_count; ++i) {
    const Header& h = out.headers[i];
    if (h.name.size() == 10 && iequals(h.name, "connection")) connection.add(h.value);
    if (h.name.size() == 14 && iequals(h.name, "content-length")) length.add(h.value);
    if (h.name.size() == 17 && iequals(h.name, "transfer-encoding")) codings.add(h.value);
  }
  // Framing conflicts are errors even where the body is known to be empty: a server
  // that sends them cannot be trusted to frame the next response either.
  if (length.invalid || (length.present && codings.present)) return false;
  if (codings.present && (out.version_minor == 0 || codings.chunked > 1)) return false;
  out.keep_alive = connection.persists(out.version_minor);

  if (out.status < 200 || out.status == 204 || out.status == 304 || request_was_head) {
    out.body = ResponseBody::none;
    // After 101 the connection speaks another protocol; it never returns to a pool.
    if (out.status == 101) out.keep_alive = false;
  } else if (codings.present) {
    // A coding list not ending in chunked is read until close (RFC 9112 6.3 item 4);
    // the codings before chunked (e.g. gzip) pass through to the client untouched.
    out.body = codings.chunked_last ? ResponseBody::chunked : ResponseBody::until_close;
  } else if (length.present) {
    out.body = ResponseBody::content_length;
    out.content_length = length.value;
  } else {
    out.body = ResponseBody::until_close;
  }
  if (out.body == ResponseBody::until_close) out.keep_alive = false;
  return true;
}

void reset(ResponseHead& out) {
  out.version_minor = 1;
  out.status = 0;
  out.reason = {};
  out.header_count = 0;
  out.body = ResponseBody::none;
  out.content_length = 0;
  out.keep_alive = true;
  out.head_bytes = 0;
}

}  // namespace

RequestParse parse_response_head(std::string_view buf, bool request_was_head, size_t max_head_bytes,
                                 ResponseHead& out) {
  reset(out);
  const Window w = detail::make_window(buf, max_head_bytes);
  // Tolerates stray CRLFs a server may leave after the previous response's body.
  Scan s = detail::skip_empty_lines(buf.data(), w);
  if (s.status == ParseStatus::complete) s = parse_status_line(s.next, w, out);
  if (s.status == ParseStatus::complete) {
    s = detail::parse_field_lines(s.next, w, out.headers, out.header_count);
  }
  if (s.status != ParseStatus::complete) return {s.status, s.error};
  out.head_bytes = static_cast<size_t>(s.next - buf.data());
  if (!interpret_fields(request_was_head, out)) {
    return {ParseStatus::error, RequestError::bad_request};
  }
  return {ParseStatus::complete, RequestError::none};
}

}  // namespace sluice::http
