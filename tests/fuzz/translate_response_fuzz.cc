// Whole-response and error translation on arbitrary bytes, every direction: the first
// byte picks the provider and client formats, the second the error status. Beyond
// "no crash": what comes out is always a JSON object, and an error's status is an HTTP
// error status.

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
  if (size < 2) return 0;
  const ApiFlavor provider = static_cast<ApiFlavor>(data[0] % 3);
  const ApiFlavor client = static_cast<ApiFlavor>(data[0] / 3 % 3);
  const int status = 400 + data[1] % 200;
  const std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);
  ResponseContext context;
  context.model = "alias\"\xfe";
  context.request_id = "req \x01 id";
  context.created_s = 1;
  ResponseOut out = translate_response(provider, client, body, context);
  if (out.ok) {
    check(is_json(out.body));
  } else {
    check(!out.message.empty());
  }
  ErrorOut error = translate_error(provider, client, status, body);
  check(is_json(error.body));
  check(error.status >= 400 && error.status <= 599);
  return 0;
}
