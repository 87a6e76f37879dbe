// A StreamTranslator on arbitrary provider bytes, for every direction. Beyond "no crash":
// the client's bytes are the same whether the stream comes whole, cut at fuzzer-chosen
// points or one byte at a time; the translator is finished after finish() or fail();
// and what it wrote is well formed in the client's format (every SSE data line JSON or
// OpenAI's [DONE]; the Gemini JSON-array form one JSON array).
//
// Input: byte 0 picks the provider, byte 1 the client (never the provider's format),
// byte 2 the options (include_usage, the Gemini form, fail instead of finish) and the
// number of cuts; then up to four 16-bit cut offsets; the rest is the provider's body.

// See src/telemetry/genai_content.cc: rapidjson's stack arithmetic is only compared. First,
// before any standard header: the attribute must precede every definition it covers.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/document.h>
#if defined(__clang__)
#pragma clang attribute pop
#endif

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/scan/sse_splitter.h"
#include "sluice/translate/translate.h"

namespace {

using sluice::route::ApiFlavor;
using sluice::translate::ResponseContext;
using sluice::translate::StreamTranslator;

bool is_json(std::string_view text) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  return !d.HasParseError();
}

void check_well_formed(std::string_view out, ApiFlavor client, bool gemini_sse) {
  if (client == ApiFlavor::gemini && !gemini_sse) {
    rapidjson::Document d;
    d.Parse<rapidjson::kParseIterativeFlag>(out.data(), out.size());
    if (d.HasParseError() || !d.IsArray()) std::abort();
    return;
  }
  sluice::scan::SseSplitter sse(size_t{1} << 30);
  auto check = [&] {
    const sluice::scan::SseEvent& e = sse.event();
    if (!e.has_data || !e.stray.empty() || e.unterminated) std::abort();
    if (e.data != "[DONE]" && !is_json(e.data)) std::abort();
  };
  while (!out.empty()) {
    sluice::scan::SseStep step = sse.step(out);
    out.remove_prefix(step.consumed);
    if (step.status == sluice::scan::SseStatus::event) check();
  }
  if (sse.finish()) check();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const auto provider = static_cast<ApiFlavor>(data[0] % 3);
  const auto client = static_cast<ApiFlavor>((data[0] % 3 + 1 + data[1] % 2) % 3);
  const uint8_t options = data[2];
  ResponseContext context;
  context.model = "m\"odel";
  context.request_id = "req/1";
  context.created_s = 1;
  context.include_usage = (options & 1) != 0;
  context.gemini_sse = (options & 2) == 0;
  const bool fail = (options & 4) != 0;
  size_t ncuts = (options >> 3) % 5;
  data += 3;
  size -= 3;
  std::vector<size_t> cuts;
  for (; ncuts > 0 && size >= 2; --ncuts, data += 2, size -= 2) {
    cuts.push_back(static_cast<size_t>(data[0] | (data[1] << 8)) % (size + 1));
  }
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (size_t& at : cuts) at = std::min(at, body.size());
  std::sort(cuts.begin(), cuts.end());

  auto run = [&](auto&& feed) {
    StreamTranslator t(provider, client, context);
    std::string out;
    feed(t, out);
    if (fail) {
      t.fail(sluice::route::ErrorClass::upstream_error, "cut \xff off", out);
    } else {
      t.finish(out);
    }
    if (!t.finished()) std::abort();
    return out;
  };
  const std::string whole = run([&](StreamTranslator& t, std::string& out) { t.feed(body, out); });
  const std::string cut = run([&](StreamTranslator& t, std::string& out) {
    size_t from = 0;
    for (size_t at : cuts) {
      t.feed(body.substr(from, at - from), out);
      from = at;
    }
    t.feed(body.substr(from), out);
  });
  if (cut != whole) std::abort();
  const std::string bytes = run([&](StreamTranslator& t, std::string& out) {
    for (char c : body) t.feed(std::string_view(&c, 1), out);
  });
  if (bytes != whole) std::abort();
  check_well_formed(whole, client, context.gemini_sse);
  return 0;
}
