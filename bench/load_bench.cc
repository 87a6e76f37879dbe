// sluice-load's per-request bookkeeping, which must stay far below the cost of the
// request itself (a loopback round trip is ~15 us of CPU): recording into the latency
// histogram, a percentile over a full one, and reading one whole response — a
// non-streaming chat completion as sluice-mock sends it, and a 16-token chat stream.
//   ./build/sluice-bench --benchmark_filter=Load

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "../tools/load/histogram.h"
#include "../tools/load/response_reader.h"

namespace {

using sluice::load::Histogram;
using sluice::load::ResponseReader;
using sluice::scan::ResponseApi;

void BM_LoadHistogramRecord(benchmark::State& state) {
  Histogram h;
  std::mt19937_64 rng(1);
  std::vector<uint64_t> values(4096);
  for (uint64_t& v : values) v = rng() % 10'000'000;
  size_t i = 0;
  for (auto _ : state) {
    h.record(values[i++ & 4095]);
  }
  benchmark::DoNotOptimize(h.count());
}
BENCHMARK(BM_LoadHistogramRecord);

void BM_LoadHistogramP99(benchmark::State& state) {
  Histogram h;
  std::mt19937_64 rng(1);
  for (int i = 0; i < 1'000'000; ++i) h.record(rng() % 10'000'000);
  for (auto _ : state) benchmark::DoNotOptimize(h.percentile(0.99));
}
BENCHMARK(BM_LoadHistogramP99);

std::string chat_completion() {
  std::string body =
      R"({"id":"chatcmpl-mock1-1","object":"chat.completion","created":1795318488,"model":"m",)"
      R"("choices":[{"index":0,"message":{"role":"assistant","content":"tok0 tok1 tok2 tok3 )"
      R"(tok4 tok5 tok6 tok7 tok8 tok9 tok10 tok11 tok12 tok13 tok14 tok15","refusal":null,)"
      R"("annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":14,)"
      R"("completion_tokens":16,"total_tokens":30,"prompt_tokens_details":{"cached_tokens":0,)"
      R"("audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,)"
      R"("accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},)"
      R"("service_tier":"default","system_fingerprint":"fp_mock"})";
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-request-id: req_mock0-1\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string chat_stream() {
  auto chunk = [](const std::string& json) {
    std::string event = "data: " + json + "\n\n";
    char size[16];
    snprintf(size, sizeof size, "%zx\r\n", event.size());
    return size + event + "\r\n";
  };
  std::string out =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  const std::string prefix =
      R"({"id":"chatcmpl-mock0-1","object":"chat.completion.chunk","created":1795316292,)"
      R"("model":"m","system_fingerprint":"fp_mock","choices":[{"index":0,"delta":)";
  out += chunk(prefix + R"({"role":"assistant","content":""},"finish_reason":null}]})");
  for (int i = 0; i < 16; ++i)
    out +=
        chunk(prefix + R"({"content":" tok)" + std::to_string(i) + R"("},"finish_reason":null}]})");
  out += chunk(R"({"id":"chatcmpl-mock0-1","choices":[],"usage":{"prompt_tokens":27,)"
               R"("completion_tokens":16,"total_tokens":43}})");
  out += chunk("[DONE]");
  return out + "0\r\n\r\n";
}

void read_response(benchmark::State& state, const std::string& bytes) {
  ResponseReader reader;
  Histogram gaps;
  for (auto _ : state) {
    reader.start(ResponseApi::openai_chat, &gaps);
    benchmark::DoNotOptimize(reader.feed(bytes, 1));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}

void BM_LoadReadChatCompletion(benchmark::State& state) { read_response(state, chat_completion()); }
BENCHMARK(BM_LoadReadChatCompletion);

void BM_LoadReadChatStream16Tokens(benchmark::State& state) { read_response(state, chat_stream()); }
BENCHMARK(BM_LoadReadChatStream16Tokens);

}  // namespace
