// Metrics costs: what recording one finished request costs a shard (interning its label
// values and bumping its counters and histograms), and what a scrape costs to render.
//
//   ./build/sluice-bench --benchmark_filter=Metrics

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "sluice/metrics/shard_metrics.h"

namespace {

using sluice::metrics::ProcessFigures;
using sluice::metrics::RequestSample;
using sluice::metrics::ShardMetrics;
using sluice::metrics::Snapshot;

RequestSample sample(std::string_view alias, std::string_view project, int status) {
  RequestSample s;
  s.route = "chat_completions";
  s.provider = "openai";
  s.alias = alias;
  s.project = project;
  s.status = status;
  s.duration_ns = 850000000;
  s.proxied = true;
  s.stream = true;
  s.ttft_ns = 240000000;
  s.overhead_ns = 35000;
  s.tokens[0] = 1200;
  s.tokens[1] = 350;
  s.tokens[2] = 1024;
  s.cost_nusd = 4'200'000;  // $0.0042
  return s;
}

// The steady state: a proxied request whose label combination was seen before.
void BM_MetricsRecordProxiedRequest(benchmark::State& state) {
  ShardMetrics m;
  RequestSample s = sample("gpt-4o", "customer-support", 200);
  for (auto _ : state) {
    m.record_request(s);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MetricsRecordProxiedRequest);

// A mix over 8 aliases x 4 projects x 3 statuses, as a busy gateway sees it.
void BM_MetricsRecordMixedRequests(benchmark::State& state) {
  ShardMetrics m;
  std::vector<std::string> aliases, projects;
  for (int i = 0; i < 8; ++i) aliases.push_back("model-alias-" + std::to_string(i));
  for (int i = 0; i < 4; ++i) projects.push_back("project-" + std::to_string(i));
  const int statuses[] = {200, 200, 200, 429, 200, 502};
  std::vector<RequestSample> samples;
  for (size_t i = 0; i < 96; ++i)
    samples.push_back(sample(aliases[i % 8], projects[(i / 8) % 4], statuses[i % 6]));
  size_t i = 0;
  for (auto _ : state) {
    m.record_request(samples[i++ % samples.size()]);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MetricsRecordMixedRequests);

void BM_MetricsCountRefusal(benchmark::State& state) {
  ShardMetrics m;
  for (auto _ : state) {
    m.count_refusal("rate_limited", "customer-support");
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MetricsCountRefusal);

// A scrape of one shard with the mixed label set: snapshot and render.
void BM_MetricsScrapeRender(benchmark::State& state) {
  ShardMetrics m;
  for (int a = 0; a < 8; ++a)
    for (int p = 0; p < 4; ++p)
      m.record_request(sample("alias-" + std::to_string(a), "project-" + std::to_string(p), 200));
  for (auto _ : state) {
    Snapshot s;
    m.snapshot(s);
    std::string text = render(s, ProcessFigures{});
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_MetricsScrapeRender);

}  // namespace
