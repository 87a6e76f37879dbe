// Prompt and completion capture on arbitrary bodies: the input is split into a request
// body and a response (read as a stream and as a whole body, for every API). Beyond
// "no crash": every attribute is valid JSON whatever the bodies held, and text stays
// within the cap (plus the truncation mark).

// See src/telemetry/genai_content.cc: rapidjson's stack arithmetic is only compared. First, before
// any standard header: the attribute must precede every definition it covers.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/document.h>
#if defined(__clang__)
#pragma clang attribute pop
#endif

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sluice/scan/usage_scanner.h"
#include "sluice/telemetry/genai_content.h"

namespace {

using namespace sluice;

void check(bool ok) {
  if (!ok) std::abort();
}

void check_json(const std::string& s) {
  if (s.empty()) return;
  rapidjson::Document d;
  d.Parse(s.data(), s.size());
  check(!d.HasParseError() && d.IsArray());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t cap = 16 + data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t split = rest.find('\x01');
  std::string_view request = rest.substr(0, split);
  std::string_view response = split == std::string_view::npos ? "" : rest.substr(split + 1);
  for (auto api : {scan::ResponseApi::openai_chat, scan::ResponseApi::openai_responses,
                   scan::ResponseApi::anthropic, scan::ResponseApi::gemini}) {
    for (bool streaming : {false, true}) {
      telemetry::ContentCapture c(api, cap);
      c.on_request(request);
      scan::UsageScanner s(api, streaming);
      s.set_tap(&c);
      s.feed(response);
      s.finish();
      telemetry::CapturedContent out = c.finish();
      check_json(out.system_instructions);
      check_json(out.input_messages);
      check_json(out.output_messages);
    }
  }
  return 0;
}
