#include "sluice/http/request_parser.h"

#include "char_class.h"
#include "field_lines.h"

namespace sluice::http {

using detail::malformed;
using detail::ran_out;
using detail::Scan;
using detail::Window;

int status_of(RequestError e) {
  switch (e) {
    case RequestError::none:
      return 200;
    case RequestError::bad_request:
      return 400;
    case RequestError::uri_too_long:
      return 414;
    case RequestError::header_too_large:
      return 431;
    case RequestError::body_too_large:
      return 413;
    case RequestError::unsupported_coding:
      return 501;
    case RequestError::version_not_supported:
      return 505;
  }
  return 400;
}

std::string_view reason_of(RequestError e) {
  switch (e) {
    case RequestError::none:
      return "OK";
    case RequestError::bad_request:
      return "Bad Request";
    case RequestError::uri_too_long:
      return "URI Too Long";
    case RequestError::header_too_large:
      return "Request Header Fields Too Large";
    case RequestError::body_too_large:
      return "Content Too Large";
    case RequestError::unsupported_coding:
      return "Not Implemented";
    case RequestError::version_not_supported:
      return "HTTP Version Not Supported";
  }
  return "Bad Request";
}

std::string_view RequestHead::header(std::string_view name) const {
  for (size_t i = 0; i < header_count; ++i) {
    if (iequals(headers[i].name, name)) return headers[i].value;
  }
  return {};
}

bool RequestHead::has_header(std::string_view name) const {
  for (size_t i = 0; i < header_count; ++i) {
    if (iequals(headers[i].name, name)) return true;
  }
  return false;
}

namespace {

Scan fail(RequestError e) { return {ParseStatus::error, e, nullptr}; }
Scan ok(const char* next) { return {ParseStatus::complete, RequestError::none, next}; }

// Splits the request-target into path and query by its form (RFC 9112 3.2) and
// refuses a form the method may not use.
bool split_target(RequestHead& out) {
  const std::string_view t = out.target;
  const bool connect = out.method == "CONNECT";
  std::string_view rest;
  if (t[0] == '/') {
    if (connect) return false;
    rest = t;  // origin-form
  } else if (t == "*") {
    if (out.method != "OPTIONS") return false;
    out.path = t;  // asterisk-form
    out.query = t.substr(1);
    return true;
  } else if (connect) {
    // authority-form: host ":" port, nothing else.
    if (t.find_first_of("/?@") != std::string_view::npos) return false;
    out.path = t.substr(t.size());
    out.query = out.path;
    return true;
  } else {
    // absolute-form: scheme "://" authority path-abempty [ "?" query ].
    const size_t scheme_end = t.find("://");
    if (scheme_end == 0 || scheme_end == std::string_view::npos) return false;
    if (!detail::is_alpha(static_cast<unsigned char>(t[0]))) return false;
    for (size_t i = 1; i < scheme_end; ++i) {
      const auto c = static_cast<unsigned char>(t[i]);
      if (!detail::is_alpha(c) && !detail::is_digit(c) && c != '+' && c != '-' && c != '.') {
        return false;
      }
    }
    size_t path_start = t.find_first_of("/?", scheme_end + 3);
    if (path_start == std::string_view::npos) path_start = t.size();
    rest = t.substr(path_start);
  }
  const size_t q = rest.find('?');
  out.path = rest.substr(0, q);
  out.query = q == std::string_view::npos ? rest.substr(rest.size()) : rest.substr(q + 1);
  return true;
}

// request-line = method SP request-target SP HTTP-version CRLF, with single spaces.
// Bytes are checked as they arrive, so a prefix of a bad line fails as early as it
// can and with the same error as the whole line.
Scan parse_request_line(const char* p, Window w, const RequestLimits& limits, RequestHead& out) {
  const char* method = p;
  while (p < w.stop && detail::kTchar[*p]) ++p;
  if (p == w.stop) return ran_out(w);
  if (*p != ' ' || p == method) return malformed();
  out.method = std::string_view(method, static_cast<size_t>(p - method));
  ++p;

  const char* target = p;
  const bool room_past_limit = static_cast<size_t>(w.stop - target) > limits.max_uri_bytes;
  const char* target_stop = room_past_limit ? target + limits.max_uri_bytes + 1 : w.stop;
  while (p < target_stop && detail::kTargetChar[*p]) ++p;
  if (static_cast<size_t>(p - target) > limits.max_uri_bytes)
    return fail(RequestError::uri_too_long);
  if (p == w.stop) return ran_out(w);
  if (*p != ' ' || p == target) return malformed();
  out.target = std::string_view(target, static_cast<size_t>(p - target));
  if (!split_target(out)) return malformed();
  ++p;

  // "HTTP/" DIGIT "." DIGIT CRLF; '#' marks the digits.
  static constexpr char kVersion[] = "HTTP/#.#\r\n";
  for (size_t i = 0; i + 1 < sizeof(kVersion); ++i) {
    if (p + i == w.stop) return ran_out(w);
    const char c = p[i];
    const bool good =
        kVersion[i] == '#' ? detail::is_digit(static_cast<unsigned char>(c)) : c == kVersion[i];
    if (!good) return malformed();
  }
  if (p[5] != '1') return fail(RequestError::version_not_supported);
  // HTTP/1.2 and later minors are handled as 1.1, the highest we implement (RFC 9110 2.5).
  out.version_minor = p[7] == '0' ? 0 : 1;
  return ok(p + sizeof(kVersion) - 1);
}

bool valid_host(std::string_view v) {
  for (char c : v) {
    if (!detail::kHostChar[c]) return false;
  }
  return true;
}

// Reads the fields that decide framing and persistence, and applies the
// request-smuggling defences (RFC 9112 6.1, 6.3) in order of how bad a
// disagreement with another parser would be.
RequestError interpret_fields(const RequestLimits& limits, RequestHead& out) {
  detail::ContentLength length;
  detail::TransferCodings codings;
  detail::ConnectionOptions connection;
  size_t hosts = 0;
  bool host_valid = true;
  for (size_t i = 0; i < out.header_count; ++i) {
    const Header& h = out.headers[i];
    switch (h.name.size()) {
      case 4:
        if (iequals(h.name, "host")) {
          ++hosts;
          host_valid = host_valid && valid_host(h.value);
        }
        break;
      case 6:
        if (iequals(h.name, "expect") && iequals(h.value, "100-continue")) {
          // An HTTP/1.0 client cannot know 100 (RFC 9110 10.1.1): ignore it there.
          out.expect_continue = out.version_minor >= 1;
        }
        break;
      case 10:
        if (iequals(h.name, "connection")) connection.add(h.value);
        break;
      case 14:
        if (iequals(h.name, "content-length")) length.add(h.value);
        break;
      case 17:
        if (iequals(h.name, "transfer-encoding")) codings.add(h.value);
        break;
      default:
        break;
    }
  }
  out.keep_alive = connection.persists(out.version_minor);

  if (hosts > 1 || !host_valid || (hosts == 0 && out.version_minor >= 1)) {
    return RequestError::bad_request;
  }
  if (codings.present) {
    if (length.present) return RequestError::bad_request;
    // An HTTP/1.0 peer cannot mean chunked; treat its framing as faulty (RFC 9112 6.1).
    if (out.version_minor == 0) return RequestError::bad_request;
    if (codings.elements == 0 || codings.chunked > 1) return RequestError::bad_request;
    if (codings.chunked == 1 && !codings.chunked_last) return RequestError::bad_request;
    if (codings.unknown) return RequestError::unsupported_coding;
    out.body = BodyKind::chunked;
    return RequestError::none;
  }
  if (length.present) {
    if (length.invalid) return RequestError::bad_request;
    if (length.value > limits.max_body_bytes) return RequestError::body_too_large;
    out.body = BodyKind::content_length;
    out.content_length = length.value;
  }
  return RequestError::none;
}

void reset(RequestHead& out) {
  out.method = out.target = out.path = out.query = {};
  out.version_minor = 1;
  out.header_count = 0;
  out.body = BodyKind::none;
  out.content_length = 0;
  out.keep_alive = true;
  out.expect_continue = false;
  out.head_bytes = 0;
}

}  // namespace

RequestParse parse_request_head(std::string_view buf, const RequestLimits& limits,
                                RequestHead& out) {
  reset(out);
  const Window w = detail::make_window(buf, limits.max_head_bytes);
  Scan s = detail::skip_empty_lines(buf.data(), w);
  if (s.status == ParseStatus::complete) s = parse_request_line(s.next, w, limits, out);
  if (s.status == ParseStatus::complete) {
    s = detail::parse_field_lines(s.next, w, out.headers, out.header_count);
  }
  if (s.status != ParseStatus::complete) return {s.status, s.error};
  out.head_bytes = static_cast<size_t>(s.next - buf.data());
  const RequestError e = interpret_fields(limits, out);
  if (e != RequestError::none) return {ParseStatus::error, e};
  return {ParseStatus::complete, RequestError::none};
}

}  // namespace sluice::http
