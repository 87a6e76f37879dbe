// Micro-benchmarks of the HTTP/1.1 parsers on the shapes the gateway sees most: an
// OpenAI SDK request head, a provider's response head, and a chunked 64 KiB body
// (large chunks as a bulk download has them, small ones as an SSE stream has them).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "sluice/http/chunked_decoder.h"
#include "sluice/http/request_parser.h"
#include "sluice/http/response_parser.h"

namespace {

using namespace sluice::http;

// The head the OpenAI Python SDK sends for a chat completion (~600 bytes, 16 fields).
const std::string kRequestHead =
    "POST /v1/chat/completions HTTP/1.1\r\n"
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
    "Authorization: Bearer sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWx\r\n"
    "X-Stainless-Async: false\r\n"
    "x-stainless-retry-count: 0\r\n"
    "Content-Length: 187\r\n"
    "\r\n";

// A streaming response head as OpenAI sends it through Cloudflare.
const std::string kResponseHead =
    "HTTP/1.1 200 OK\r\n"
    "Date: Sat, 16 Aug 2025 00:45:32 GMT\r\n"
    "Content-Type: text/event-stream; charset=utf-8\r\n"
    "Transfer-Encoding: chunked\r\n"
    "Connection: keep-alive\r\n"
    "access-control-expose-headers: X-Request-ID\r\n"
    "openai-organization: user-abc123\r\n"
    "openai-processing-ms: 187\r\n"
    "openai-version: 2020-10-01\r\n"
    "x-ratelimit-limit-requests: 10000\r\n"
    "x-ratelimit-limit-tokens: 2000000\r\n"
    "x-ratelimit-remaining-requests: 9999\r\n"
    "x-ratelimit-remaining-tokens: 1999975\r\n"
    "x-ratelimit-reset-requests: 6ms\r\n"
    "x-ratelimit-reset-tokens: 0s\r\n"
    "x-request-id: req_5f1d2c3b4a5968778695a4b3c2d1e0f9\r\n"
    "cf-cache-status: DYNAMIC\r\n"
    "Server: cloudflare\r\n"
    "\r\n";

void BM_ParseRequestHead(benchmark::State& state) {
  auto head = std::make_unique<RequestHead>();
  const RequestLimits limits;
  for (auto _ : state) {
    RequestParse r = parse_request_head(kRequestHead, limits, *head);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(head->header_count);
  }
  if (parse_request_head(kRequestHead, limits, *head).status != ParseStatus::complete) {
    state.SkipWithError("head did not parse");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kRequestHead.size()));
  state.counters["head_bytes"] = static_cast<double>(kRequestHead.size());
}
BENCHMARK(BM_ParseRequestHead);

void BM_ParseResponseHead(benchmark::State& state) {
  auto head = std::make_unique<ResponseHead>();
  for (auto _ : state) {
    RequestParse r = parse_response_head(kResponseHead, false, 16384, *head);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(head->header_count);
  }
  if (parse_response_head(kResponseHead, false, 16384, *head).status != ParseStatus::complete) {
    state.SkipWithError("head did not parse");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kResponseHead.size()));
  state.counters["head_bytes"] = static_cast<double>(kResponseHead.size());
}
BENCHMARK(BM_ParseResponseHead);

std::string chunked_body(size_t total, size_t chunk) {
  std::string out;
  char size_line[32];
  for (size_t done = 0; done < total; done += chunk) {
    const size_t n = std::min(chunk, total - done);
    snprintf(size_line, sizeof(size_line), "%zx\r\n", n);
    out += size_line;
    out.append(n, 'x');
    out += "\r\n";
  }
  return out + "0\r\n\r\n";
}

// Arg: chunk size. 64 KiB of payload either way.
void BM_DecodeChunked64KiB(benchmark::State& state) {
  const std::string body = chunked_body(64 * 1024, static_cast<size_t>(state.range(0)));
  ChunkedDecoder decoder;
  for (auto _ : state) {
    decoder.reset();
    std::string_view rest = body;
    size_t payload = 0;
    while (true) {
      const ChunkStep s = decoder.step(rest);
      rest.remove_prefix(s.consumed);
      if (s.status != ChunkStatus::data) break;
      payload += s.data.size();
    }
    benchmark::DoNotOptimize(payload);
  }
  if (!decoder.finished()) state.SkipWithError("body did not decode");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_DecodeChunked64KiB)->Arg(16384)->Arg(1024)->Arg(128);

}  // namespace
