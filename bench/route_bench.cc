// Micro-benchmarks of the per-request routing decisions: which handler a path goes to,
// which target an alias picks, and which virtual key a request presents (SHA-256 of
// the key plus one hash-table probe).

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "sluice/auth/extract_key.h"
#include "sluice/auth/key_hash.h"
#include "sluice/auth/virtual_keys.h"
#include "sluice/route/model_router.h"
#include "sluice/route/route.h"

namespace {

using namespace sluice;

void BM_ClassifyRoute(benchmark::State& state) {
  const std::vector<std::pair<std::string, std::string>> requests = {
      {"POST", "/v1/chat/completions"},
      {"POST", "/anthropic/v1/messages"},
      {"POST", "/gemini/v1beta/models/gemini-2.0-flash:streamGenerateContent"},
      {"GET", "/v1/models"},
  };
  size_t i = 0;
  for (auto _ : state) {
    const auto& [method, path] = requests[i++ & 3];
    benchmark::DoNotOptimize(route::classify_route(method, path));
  }
}
BENCHMARK(BM_ClassifyRoute);

std::shared_ptr<const config::Config> router_config() {
  auto c = std::make_shared<config::Config>();
  for (const char* name : {"openai", "azure", "local"}) {
    config::Provider p;
    p.name = name;
    c->providers.push_back(p);
  }
  for (int i = 0; i < 20; ++i) {
    config::Model m;
    m.alias = "alias-" + std::to_string(i);
    m.targets = {{"openai", "gpt-4o", 5}, {"azure", "gpt-4o", 3}, {"local", "llama", 1}};
    c->models.push_back(m);
  }
  return c;
}

void BM_WeightedPick(benchmark::State& state) {
  route::ModelRouter router(router_config());
  for (auto _ : state) benchmark::DoNotOptimize(router.pick("alias-7"));
}
BENCHMARK(BM_WeightedPick);

auth::VirtualKeys many_keys(size_t n) {
  config::Config c;
  for (size_t i = 0; i < n; ++i) {
    config::Key k;
    k.id = "key-" + std::to_string(i);
    k.project = "p";
    k.sha256_hex = auth::sha256_hex("sk-sluice-bench-" + std::to_string(i));
    c.keys.push_back(k);
  }
  return auth::VirtualKeys(c);
}

void BM_KeyLookupHit(benchmark::State& state) {
  auth::VirtualKeys keys = many_keys(static_cast<size_t>(state.range(0)));
  const std::string presented = "sk-sluice-bench-" + std::to_string(state.range(0) / 2);
  for (auto _ : state) benchmark::DoNotOptimize(keys.find(presented));
}
BENCHMARK(BM_KeyLookupHit)->Arg(10)->Arg(10000);

void BM_KeyLookupMiss(benchmark::State& state) {
  auth::VirtualKeys keys = many_keys(10000);
  const std::string presented = "sk-sluice-0000000000000000000000000000000000000000000";
  for (auto _ : state) benchmark::DoNotOptimize(keys.find(presented));
}
BENCHMARK(BM_KeyLookupMiss);

void BM_ExtractKey(benchmark::State& state) {
  const http::Header headers[] = {
      {"Host", "gw.internal"},
      {"User-Agent", "OpenAI/Python 1.54.3"},
      {"Content-Type", "application/json"},
      {"X-Stainless-Lang", "python"},
      {"Authorization", "Bearer sk-sluice-3hZsQ0bq7m2LrXw8yV1nKd4tGfE6cAaJ5uPiT9oNzBx"},
  };
  std::string scratch;
  for (auto _ : state) benchmark::DoNotOptimize(auth::extract_key(headers, "", scratch));
}
BENCHMARK(BM_ExtractKey);

}  // namespace
