// Request translation on arbitrary bytes, every direction: the first byte picks the
// client and provider formats and the options, the rest is the body. Beyond "no crash":
// an accepted request is valid JSON, a refused one says why, and with
// refuse_unsupported nothing is ever dropped silently.

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <istream>
#include <iterator>
#include <limits>
#include <new>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

// The standard headers rapidjson needs come before the sanitizer carve-out (see
// src/translate/json.h).
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/document.h>
#if defined(__clang__)
#pragma clang attribute pop
#endif

#include "sluice/translate/translate.h"

namespace {

using namespace sluice::translate;

void check(bool ok) {
  if (!ok) std::abort();
}

bool is_json(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str(), s.size());
  return !d.HasParseError() && d.IsObject();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t pick = data[0];
  const ApiFlavor client = static_cast<ApiFlavor>(pick % 3);
  const ApiFlavor provider = static_cast<ApiFlavor>(pick / 3 % 3);
  RequestOptions options;
  options.model = "fuzz-\"model\"\xff";
  options.refuse_unsupported = (pick & 0x20) != 0;
  options.stream = (pick & 0x40) != 0;
  options.default_max_tokens = (pick & 0x80) != 0 ? 1 : 4096;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  RequestOut out = translate_request(client, provider, body, options);
  if (!out.ok) {
    check(!out.message.empty());
    check(out.body.empty());
    return 0;
  }
  check(is_json(out.body));
  if (options.refuse_unsupported) check(out.dropped.empty());
  // Each name is fit for the x-sluice-dropped-params header: visible ASCII, no comma.
  for (const std::string& name : out.dropped) {
    check(!name.empty() && name.size() <= 64);
    for (char c : name) check(c > 0x20 && c < 0x7f && c != ',');
  }
  return 0;
}
