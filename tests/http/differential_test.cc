// Differential test: our request parser (head + chunked body) against an independent
// implementation, Node's classic http_parser as Debian ships it (libhttp-parser-dev).
// For every request in the corpus both verdicts are computed; where they agree the
// parsed facts (method, target, header count, body kind and bytes, keep-alive) must be
// equal. Where we differ on purpose, the case says so, says why, and both verdicts
// are asserted, so a change on either side shows up here.

#include <gtest/gtest.h>
#include <http_parser.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/http/chunked_decoder.h"
#include "sluice/http/request_parser.h"

namespace sluice::http {
namespace {

struct Verdict {
  bool accepted = false;
  std::string method;
  std::string target;
  size_t header_count = 0;
  BodyKind body = BodyKind::none;
  std::string payload;  // the body bytes after framing is removed
  bool keep_alive = false;
};

// ---- ours ----

Verdict ours(std::string_view bytes, RequestError& error) {
  Verdict v;
  auto head = std::make_unique<RequestHead>();
  const RequestParse r = parse_request_head(bytes, {}, *head);
  error = r.error;
  if (r.status != ParseStatus::complete) return v;
  std::string_view rest = bytes.substr(head->head_bytes);
  if (head->body == BodyKind::content_length) {
    if (rest.size() < head->content_length) return v;  // the corpus always holds full bodies
    v.payload = rest.substr(0, head->content_length);
  } else if (head->body == BodyKind::chunked) {
    ChunkedDecoder decoder;
    while (true) {
      const ChunkStep s = decoder.step(rest);
      rest.remove_prefix(s.consumed);
      if (s.status == ChunkStatus::data) {
        v.payload.append(s.data);
        continue;
      }
      if (s.status != ChunkStatus::done) {
        error = RequestError::bad_request;  // what the connection would answer
        return v;
      }
      break;
    }
  }
  v.accepted = true;
  v.method = head->method;
  v.target = head->target;
  v.header_count = head->header_count;
  v.body = head->body;
  v.keep_alive = head->keep_alive;
  return v;
}

// ---- theirs ----

struct TheirState {
  Verdict v;
  bool in_field = false;
  bool headers_done = false;
  bool message_done = false;
};

TheirState& state(http_parser* p) { return *static_cast<TheirState*>(p->data); }

int on_url(http_parser* p, const char* at, size_t n) {
  state(p).v.target.append(at, n);
  return 0;
}
int on_header_field(http_parser* p, const char* at, size_t n) {
  (void)at;
  (void)n;
  TheirState& s = state(p);
  // Trailer fields come through this callback too; we count the head's fields only.
  if (!s.in_field && !s.headers_done) ++s.v.header_count;
  s.in_field = true;
  return 0;
}
int on_header_value(http_parser* p, const char*, size_t) {
  state(p).in_field = false;
  return 0;
}
int on_headers_complete(http_parser* p) {
  TheirState& s = state(p);
  s.headers_done = true;
  s.v.method = http_method_str(static_cast<http_method>(p->method));
  if (p->flags & F_CHUNKED) {
    s.v.body = BodyKind::chunked;
  } else if (p->flags & F_CONTENTLENGTH) {
    s.v.body = BodyKind::content_length;
  }
  s.v.keep_alive = http_should_keep_alive(p) != 0;
  return 0;
}
int on_body(http_parser* p, const char* at, size_t n) {
  state(p).v.payload.append(at, n);
  return 0;
}
int on_message_complete(http_parser* p) {
  state(p).message_done = true;
  return 0;
}

Verdict theirs(std::string_view bytes) {
  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_url = on_url;
  settings.on_header_field = on_header_field;
  settings.on_header_value = on_header_value;
  settings.on_headers_complete = on_headers_complete;
  settings.on_body = on_body;
  settings.on_message_complete = on_message_complete;
  http_parser parser;
  http_parser_init(&parser, HTTP_REQUEST);
  TheirState s;
  parser.data = &s;
  http_parser_execute(&parser, &settings, bytes.data(), bytes.size());
  const bool ok = HTTP_PARSER_ERRNO(&parser) == HPE_OK;
  // An upgrade (CONNECT) hands the connection over after the head: that is complete.
  s.v.accepted = ok && s.headers_done && (s.message_done || parser.upgrade);
  return s.v;
}

// ---- the corpus ----

enum class Relation {
  agree,     // same verdict, same facts
  stricter,  // we reject (with `error`), http_parser accepts: see `why`
  laxer,     // we accept, http_parser rejects: see `why`
};

struct Case {
  const char* name;
  std::string bytes;
  RequestError error;  // ours: none when we accept
  Relation relation = Relation::agree;
  const char* why = "";
};

// A head as the OpenAI Python SDK sends it (header set and order from its requests).
std::string openai_sdk_head(std::string_view body) {
  return "POST /v1/chat/completions HTTP/1.1\r\n"
         "Host: api.openai.com\r\n"
         "Accept-Encoding: gzip, deflate\r\n"
         "Connection: keep-alive\r\n"
         "Accept: application/json\r\n"
         "Content-Type: application/json\r\n"
         "User-Agent: OpenAI/Python 1.54.3\r\n"
         "X-Stainless-Lang: python\r\n"
         "X-Stainless-Package-Version: 1.54.3\r\n"
         "X-Stainless-OS: Linux\r\n"
         "X-Stainless-Arch: x64\r\n"
         "X-Stainless-Runtime: CPython\r\n"
         "X-Stainless-Runtime-Version: 3.12.3\r\n"
         "Authorization: Bearer sk-proj-0123456789abcdef0123456789abcdef\r\n"
         "X-Stainless-Async: false\r\n"
         "x-stainless-retry-count: 0\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

std::string many_headers(size_t n) {
  std::string s = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (size_t i = 1; i < n; ++i)
    s += "X-H" + std::to_string(i) + ": value-" + std::to_string(i) + "\r\n";
  return s + "\r\n";
}

const std::string kBody =
    R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true})";
constexpr RequestError kOk = RequestError::none;
constexpr RequestError k400 = RequestError::bad_request;
constexpr Relation kStricter = Relation::stricter;
constexpr Relation kLaxer = Relation::laxer;

std::vector<Case> corpus() {
  return {
      // ---- valid requests: both accept, with the same facts ----
      {"openai_sdk_chat", openai_sdk_head(kBody), kOk},
      {"minimal_get", "GET / HTTP/1.1\r\nHost: h\r\n\r\n", kOk},
      {"get_models", "GET /v1/models HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer k\r\n\r\n", kOk},
      {"anthropic_messages",
       "POST /anthropic/v1/messages HTTP/1.1\r\nHost: gw\r\nx-api-key: sk-ant\r\n"
       "anthropic-version: 2023-06-01\r\ncontent-type: application/json\r\ncontent-length: "
       "2\r\n\r\n{}",
       kOk},
      {"gemini_key_in_query",
       "POST /gemini/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse&key=abc "
       "HTTP/1.1\r\n"
       "Host: gw\r\nContent-Length: 2\r\n\r\n{}",
       kOk},
      {"http10_no_host", "GET / HTTP/1.0\r\n\r\n", kOk},
      {"http10_keep_alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", kOk},
      {"http11_close", "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", kOk},
      {"http11_close_in_list", "GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n", kOk},
      {"http12_as_11", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", kOk},
      {"chunked_two_chunks",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
       "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
       kOk},
      {"chunked_upper_hex",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
       "chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
       kOk},
      {"chunked_extension",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b\r\nabc\r\n0\r\n\r\n",
       kOk},
      {"chunked_trailer",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-T: "
       "1\r\n\r\n",
       kOk},
      {"chunked_mixed_case_coding",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ChUnKeD\r\n\r\n0\r\n\r\n", kOk},
      {"chunked_empty_body",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", kOk},
      {"expect_continue",
       "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc", kOk},
      {"content_length_zero", "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", kOk},
      {"content_length_ows", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:   4  \r\n\r\nabcd",
       kOk},
      {"content_length_leading_zeros",
       "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0003\r\n\r\nabc", kOk},
      {"obs_text_value", "GET / HTTP/1.1\r\nHost: h\r\nX-Name: J\xc3\xbcrgen\r\n\r\n", kOk},
      {"tab_in_value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\tb\r\n\r\n", kOk},
      {"empty_value", "GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\n\r\n", kOk},
      {"lowercase_names", "GET / HTTP/1.1\r\nhost: h\r\nuser-agent: curl/8.5\r\n\r\n", kOk},
      {"fifty_headers", many_headers(50), kOk},
      {"absolute_form", "GET http://gw:8080/v1/models?a=1 HTTP/1.1\r\nHost: gw:8080\r\n\r\n", kOk},
      {"options_asterisk", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", kOk},
      {"delete_method", "DELETE /v1/files/file-abc HTTP/1.1\r\nHost: h\r\n\r\n", kOk},
      {"head_method", "HEAD /healthz HTTP/1.1\r\nHost: h\r\n\r\n", kOk},
      {"percent_encoded_target", "GET /a%20b?q=%E2%9C%93 HTTP/1.1\r\nHost: h\r\n\r\n", kOk},
      {"sub_delims_in_target", "GET /a;b=c/d,e!$&'()*+@:~ HTTP/1.1\r\nHost: h\r\n\r\n", kOk},
      {"leading_empty_line", "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", kOk},
      {"ipv6_host", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", kOk},
      {"long_value", "GET / HTTP/1.1\r\nHost: h\r\nCookie: " + std::string(4000, 'c') + "\r\n\r\n",
       kOk},
      {"http10_close", "GET / HTTP/1.0\r\nConnection: close\r\n\r\n", kOk},
      {"keep_alive_and_close", "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\n",
       kOk},
      {"absolute_form_https", "GET https://api.example/v1/x HTTP/1.1\r\nHost: api.example\r\n\r\n",
       kOk},
      {"connect_authority_form",
       "CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\n\r\n", kOk},
      {"cl_many_leading_zeros",
       "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 000000000000000000000002\r\n\r\nab", kOk},
      {"chunk_ws_before_extension",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3 ;a\r\nabc\r\n0\r\n\r\n",
       kOk},

      // ---- hostile or malformed: both reject ----
      {"cl_and_te",
       "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n",
       k400},
      {"te_and_cl",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: "
       "3\r\n\r\n0\r\n\r\n",
       k400},
      {"differing_cl",
       "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", k400},
      {"cl_letters", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", k400},
      {"cl_negative", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", k400},
      {"cl_plus", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +3\r\n\r\nabc", k400},
      {"cl_inner_space", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n", k400},
      {"cl_overflow", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551616\r\n\r\n",
       k400},
      {"cl_list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc", k400},
      {"nul_in_value", std::string("GET / HTTP/1.1\r\nHost: h\r\nX-A: a") + '\0' + "b\r\n\r\n",
       k400},
      {"ctl_in_value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x01 b\r\n\r\n", k400},
      {"del_in_value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x7f b\r\n\r\n", k400},
      {"bad_char_in_name", "GET / HTTP/1.1\r\nHost: h\r\nX{A}: b\r\n\r\n", k400},
      {"utf8_in_name", "GET / HTTP/1.1\r\nHost: h\r\nX-\xc3\xa9: b\r\n\r\n", k400},
      {"bad_method_char", "G@T / HTTP/1.1\r\nHost: h\r\n\r\n", k400},
      {"space_in_target", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", k400},
      {"ctl_in_target", "GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", k400},
      {"bad_version_letters", "GET / HTTP/1.x\r\nHost: h\r\n\r\n", k400},
      {"lowercase_http", "GET / http/1.1\r\nHost: h\r\n\r\n", k400},
      {"te_chunked_not_last",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", k400},
      {"bare_cr_in_value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rb: c\r\n\r\n", k400},
      // RFC 9112 6.1: a sender MUST NOT apply chunked twice, so this is malformed (400).
      {"te_chunked_twice",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", k400},
      {"te_unknown", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n",
       RequestError::unsupported_coding},
      {"te_identity", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n",
       RequestError::unsupported_coding},
      {"chunk_size_not_hex",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
       k400},
      {"chunk_size_empty",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\r\nabc\r\n0\r\n\r\n",
       k400},
      {"chunk_size_overflow",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
       "chunked\r\n\r\n10000000000000000\r\nab\r\n0\r\n\r\n",
       k400},
      {"chunk_size_negative",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n",
       k400},
      {"no_colon", "GET / HTTP/1.1\r\nHost: h\r\nX-A b\r\n\r\n", k400},
      {"empty_name", "GET / HTTP/1.1\r\nHost: h\r\n: b\r\n\r\n", k400},
      {"tab_in_request_line", "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", k400},
      {"request_line_trailing_space", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", k400},
      {"request_line_leading_space", " GET / HTTP/1.1\r\nHost: h\r\n\r\n", k400},
      {"te_empty", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n", k400},
      {"chunk_size_bare_lf",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", k400},

      // ---- deliberate differences: we are stricter than http_parser ----
      {"missing_host_http11", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n", k400, kStricter,
       "RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without Host"},
      {"duplicate_host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", k400, kStricter,
       "RFC 9112 3.2: more than one Host line MUST get 400; which one routes is ambiguous"},
      {"invalid_host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", k400, kStricter,
       "RFC 9112 3.2: a Host with an invalid value MUST get 400"},
      {"obs_fold", "GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n two\r\n\r\n", k400, kStricter,
       "RFC 9112 5.2 lets a server reject obs-fold; folding is a classic header-smuggling vector"},
      {"space_before_first_field", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", k400, kStricter,
       "RFC 9112 2.2: whitespace before the first field line must be rejected or the line ignored"},
      {"bare_lf_lines", "GET / HTTP/1.1\nHost: h\n\n", k400, kStricter,
       "a bare LF line end is only a MAY (RFC 9112 2.2); another hop that ignores it sees other "
       "lines"},
      {"te_gzip_chunked",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
       RequestError::unsupported_coding, kStricter,
       "we do not implement gzip request bodies; RFC 9112 6.1 says answer 501"},
      {"te_on_http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", k400,
       kStricter, "RFC 9112 6.1: TE in an HTTP/1.0 message means faulty framing"},
      {"http2_version", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", RequestError::version_not_supported,
       kStricter, "HTTP/2 is not spoken over this connection: 505"},
      {"missing_version", "GET /\r\nHost: h\r\n\r\n", k400, kStricter,
       "http_parser reads a version-less line as HTTP/0.9, which RFC 9112 no longer has"},
      {"fragment_in_target", "GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n", k400, kStricter,
       "a request-target never carries a fragment (RFC 9112 3.2)"},
      {"pipe_in_target", "GET /a|b HTTP/1.1\r\nHost: h\r\n\r\n", k400, kStricter,
       "'|' is not a URI character (RFC 3986); clients percent-encode it"},
      {"space_before_colon", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length : 3\r\n\r\nabc", k400,
       kStricter,
       "RFC 9112 5.1: whitespace before ':' MUST get 400; http_parser (non-strict build) takes "
       "\"Content-Length \" for another field, so it would read this body as the next request"},
      {"double_space_request_line", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", k400, kStricter,
       "RFC 9112 3: exactly one SP between request-line parts"},
      {"chunk_size_trailing_space",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n",
       k400, kStricter, "BWS is allowed only before a chunk-ext ';'; parsers split on this one"},
      {"chunk_data_missing_crlf",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n", k400,
       kStricter,
       "chunk-data must be followed by CRLF; skipping two arbitrary bytes hides a smuggled "
       "request"},
      {"head_over_16k",
       "GET / HTTP/1.1\r\nHost: h\r\nCookie: " + std::string(17000, 'c') + "\r\n\r\n",
       RequestError::header_too_large, kStricter,
       "our default head limit is 16 KiB, http_parser's is 80 KiB"},
      {"chunk_ext_bare_lf",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;a\nb\r\nabc\r\n0\r\n\r\n",
       k400, kStricter,
       "a hop that ends the size line at the LF reads other chunk data than one that waits for "
       "CRLF"},
      {"too_many_headers", many_headers(kMaxHeaders + 1), RequestError::header_too_large, kStricter,
       "we keep at most kMaxHeaders views per head, with no allocation; http_parser has no count "
       "limit"},
      {"uri_over_8k", "GET /" + std::string(9000, 'u') + " HTTP/1.1\r\nHost: h\r\n\r\n",
       RequestError::uri_too_long, kStricter,
       "our default URI limit is 8 KiB; http_parser has none"},

      // ---- deliberate differences: we accept what http_parser refuses ----
      {"identical_duplicate_cl",
       "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", kOk,
       kLaxer, "RFC 9112 6.3 allows identical duplicates; they cannot be read two ways"},
      {"te_with_trailing_ows",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:   chunked \t\r\n\r\n0\r\n\r\n", kOk,
       kLaxer,
       "OWS around a field value is not part of it (RFC 9110 5.5); http_parser compares raw bytes"},
      {"extension_method", "QUERY /v1/search HTTP/1.1\r\nHost: h\r\n\r\n", kOk, kLaxer,
       "a method is any token (RFC 9110 9.1); http_parser knows a fixed list. Routing answers 405"},
  };
}

TEST(Differential, CorpusIsLargeAndCoversBothVerdicts) {
  size_t accepted = 0;
  size_t rejected = 0;
  for (const Case& c : corpus()) (c.error == kOk ? accepted : rejected) += 1;
  EXPECT_GE(accepted + rejected, 60u);
  EXPECT_GE(accepted, 25u);
  EXPECT_GE(rejected, 25u);
}

TEST(Differential, MatchesHttpParserExceptWhereDocumented) {
  for (const Case& c : corpus()) {
    SCOPED_TRACE(c.name);
    RequestError error = RequestError::none;
    const Verdict a = ours(c.bytes, error);
    const Verdict b = theirs(c.bytes);
    EXPECT_EQ(error, c.error);
    EXPECT_EQ(a.accepted, c.error == kOk);
    switch (c.relation) {
      case Relation::agree:
        EXPECT_EQ(a.accepted, b.accepted);
        if (!a.accepted || !b.accepted) break;
        EXPECT_EQ(a.method, b.method);
        EXPECT_EQ(a.target, b.target);
        EXPECT_EQ(a.header_count, b.header_count);
        EXPECT_EQ(a.body, b.body);
        EXPECT_EQ(a.payload, b.payload);
        EXPECT_EQ(a.keep_alive, b.keep_alive);
        break;
      case Relation::stricter:
        EXPECT_FALSE(a.accepted) << c.why;
        EXPECT_TRUE(b.accepted) << c.why;
        break;
      case Relation::laxer:
        EXPECT_TRUE(a.accepted) << c.why;
        EXPECT_FALSE(b.accepted) << c.why;
        break;
    }
  }
}

}  // namespace
}  // namespace sluice::http
