// Relay & scan throughput (DESIGN.md step 7): decoded stream bytes per second through the
// SSE splitter alone and through the whole usage scanner, over ~4 MiB streams built by
// repeating the content chunks of real fixtures, fed in 16 KiB spans (a recv buffer) or
// whole. Fixtures come from $SLUICE_FIXTURES (else ../shared/fixtures from the working
// directory):
//   SLUICE_FIXTURES=../shared/fixtures ./build-scan/sluice-bench --benchmark_filter=Scan

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/scan/sse_splitter.h"
#include "sluice/scan/usage_extractor.h"
#include "sluice/scan/usage_scanner.h"

namespace {

using sluice::scan::ResponseApi;
using sluice::scan::SseSplitter;
using sluice::scan::SseStatus;
using sluice::scan::UsageExtractor;
using sluice::scan::UsageScanner;

constexpr size_t kStreamBytes = size_t{4} << 20;

std::string read_fixture(const std::string& name) {
  const char* env = std::getenv("SLUICE_FIXTURES");
  const std::string dirs[] = {env != nullptr ? env : "", "../shared/fixtures",
                              "../../shared/fixtures"};
  for (const std::string& dir : dirs) {
    if (dir.empty()) continue;
    std::ifstream in(dir + "/" + name, std::ios::binary);
    if (!in) continue;
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  return {};
}

// The fixture's events (each with its blank line), in order.
std::vector<std::string> events_of(const std::string& stream) {
  std::vector<std::string> events;
  size_t from = 0;
  for (size_t end; (end = stream.find("\n\n", from)) != std::string::npos; from = end + 2) {
    events.push_back(stream.substr(from, end + 2 - from));
  }
  return events;
}

// Head events, then the content events repeated to ~4 MiB, then the tail events.
std::string build_stream(const std::string& fixture, std::string_view content_marker,
                         std::string_view tail_marker) {
  const std::vector<std::string> events = events_of(read_fixture(fixture));
  std::string head, body, tail;
  bool in_tail = false;
  for (const std::string& e : events) {
    in_tail = in_tail || e.find(tail_marker) != std::string::npos;
    if (in_tail) {
      tail += e;
    } else if (e.find(content_marker) != std::string::npos) {
      body += e;
    } else if (body.empty()) {
      head += e;
    }
  }
  if (body.empty()) return {};
  std::string stream = head;
  while (stream.size() + tail.size() < kStreamBytes) stream += body;
  return stream + tail;
}

const std::string& openai_stream() {
  static const std::string s = build_stream("openai_chat_stream_include_usage.sse",
                                            "\"delta\":{\"content\"", "\"finish_reason\":\"stop\"");
  return s;
}

const std::string& anthropic_stream() {
  static const std::string s = build_stream("anthropic_messages_stream_text_cache_fields.sse",
                                            "content_block_delta", "content_block_stop");
  return s;
}

std::vector<std::string_view> spans_of(std::string_view stream, size_t span) {
  std::vector<std::string_view> spans;
  for (size_t at = 0; at < stream.size(); at += span) spans.push_back(stream.substr(at, span));
  return spans;
}

void BM_ScanSseSplitter(benchmark::State& state, const std::string& (*stream)()) {
  const std::string& s = stream();
  if (s.empty()) return state.SkipWithError("fixtures not found; set SLUICE_FIXTURES");
  const auto spans = spans_of(s, static_cast<size_t>(state.range(0)));
  size_t events = 0;
  for (auto _ : state) {
    SseSplitter splitter;
    for (std::string_view in : spans) {
      for (;;) {
        const auto step = splitter.step(in);
        in.remove_prefix(step.consumed);
        if (step.status == SseStatus::need_more) break;
        benchmark::DoNotOptimize(splitter.event().data.data());
        ++events;
      }
    }
    splitter.finish();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.size()));
  state.counters["events"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

void BM_ScanUsage(benchmark::State& state, ResponseApi api, const std::string& (*stream)()) {
  const std::string& s = stream();
  if (s.empty()) return state.SkipWithError("fixtures not found; set SLUICE_FIXTURES");
  const auto spans = spans_of(s, static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    UsageScanner scanner(api, /*streaming=*/true);
    for (std::string_view in : spans) scanner.feed(in);
    scanner.finish();
    if (!scanner.usage().found) return state.SkipWithError("usage not found");
    benchmark::DoNotOptimize(scanner.output_chars());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.size()));
}

// A whole non-streaming answer (the fixtures: a chat completion, a Responses object, an
// Anthropic message, a Gemini answer): on_body's look at the usage member alone against
// the full parse it falls back to, in one run.
void BM_ScanBody(benchmark::State& state, ResponseApi api, const char* fixture, bool full) {
  const std::string body = read_fixture(fixture);
  if (body.empty()) return state.SkipWithError("fixtures not found; set SLUICE_FIXTURES");
  for (auto _ : state) {
    UsageExtractor x(api);
    const bool ok = full ? x.on_body_full_parse(body) : x.on_body(body);
    if (!ok || !x.usage().found) return state.SkipWithError("usage not found");
    benchmark::DoNotOptimize(x.usage());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

BENCHMARK_CAPTURE(BM_ScanBody, openai_chat_look, ResponseApi::openai_chat,
                  "openai_chat_nonstream.json", false);
BENCHMARK_CAPTURE(BM_ScanBody, openai_chat_full_parse, ResponseApi::openai_chat,
                  "openai_chat_nonstream.json", true);
BENCHMARK_CAPTURE(BM_ScanBody, openai_responses_look, ResponseApi::openai_responses,
                  "openai_responses_nonstream.json", false);
BENCHMARK_CAPTURE(BM_ScanBody, openai_responses_full_parse, ResponseApi::openai_responses,
                  "openai_responses_nonstream.json", true);
BENCHMARK_CAPTURE(BM_ScanBody, anthropic_look, ResponseApi::anthropic,
                  "anthropic_messages_nonstream.json", false);
BENCHMARK_CAPTURE(BM_ScanBody, anthropic_full_parse, ResponseApi::anthropic,
                  "anthropic_messages_nonstream.json", true);
BENCHMARK_CAPTURE(BM_ScanBody, gemini_look, ResponseApi::gemini,
                  "gemini_generate_content_nonstream.json", false);
BENCHMARK_CAPTURE(BM_ScanBody, gemini_full_parse, ResponseApi::gemini,
                  "gemini_generate_content_nonstream.json", true);

// Span sizes: a 16 KiB recv buffer, and the whole stream in one span.
BENCHMARK_CAPTURE(BM_ScanSseSplitter, openai_chat, openai_stream)
    ->Arg(16384)
    ->Arg(kStreamBytes * 2);
BENCHMARK_CAPTURE(BM_ScanSseSplitter, anthropic, anthropic_stream)
    ->Arg(16384)
    ->Arg(kStreamBytes * 2);
BENCHMARK_CAPTURE(BM_ScanUsage, openai_chat, ResponseApi::openai_chat, openai_stream)
    ->Arg(16384)
    ->Arg(kStreamBytes * 2);
BENCHMARK_CAPTURE(BM_ScanUsage, anthropic, ResponseApi::anthropic, anthropic_stream)
    ->Arg(16384)
    ->Arg(kStreamBytes * 2);

}  // namespace
