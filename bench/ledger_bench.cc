// Ledger costs: what recording one request costs a shard (a move into its SPSC ring),
// and how many rows per second the writer thread commits in batches.
//
//   ./build/bench/sluice-bench --benchmark_filter=Ledger

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "sluice/ledger/ledger.h"

namespace {

using sluice::ledger::Ledger;
using sluice::ledger::LedgerOptions;
using sluice::ledger::Record;
using sluice::ledger::SpscRing;

class BenchDir {
 public:
  BenchDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/sluice-bench-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~BenchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  std::string db() const { return path_ + "/ledger.db"; }

 private:
  std::string path_;
};

// A typical settled request: names short enough for the small-string buffer, as most
// key, project and model names are; a 36-character UUID request id on the heap.
Record typical_record(uint64_t i) {
  Record r;
  r.request_id = "6f1c2a9e-8b4d-4e1a-9c3f-" + std::to_string(100000000000 + i);
  r.ts_ms = 1'795'305'600'000 + static_cast<int64_t>(i);
  r.key_id = "support-bot";
  r.project = "support";
  r.model = "gpt-4o";
  r.provider = "openai";
  r.upstream_model = "gpt-4o-mini";
  r.stream = true;
  r.status = 200;
  r.input_tokens = 1200;
  r.output_tokens = 350;
  r.cached_tokens = 1024;
  r.cost_nusd = 4'780'000;  // $0.00478
  r.latency_ms = 2100;
  r.ttft_ms = 190;
  r.attempts = 1;
  return r;
}

sluice::config::Ledger bench_config(const std::string& path, uint32_t flush_ms) {
  sluice::config::Ledger config;
  config.path = path;
  config.flush_ms = flush_ms;
  config.queue_capacity = 1 << 16;
  return config;
}

// Request-path cost: LedgerQueue::submit of a record already built by settlement.
// Records are prebuilt and the ring emptied outside the timed region.
void BM_LedgerSubmit(benchmark::State& state) {
  constexpr size_t kChunk = 4096;
  BenchDir dir;
  Ledger ledger(bench_config(dir.db(), 3'600'000), 1, LedgerOptions{.early_wake = false});
  auto& queue = ledger.queue(0);
  std::vector<Record> records;
  uint64_t next = 0;
  size_t i = kChunk;
  for (auto _ : state) {
    if (i == kChunk) {
      state.PauseTiming();
      ledger.flush();
      records.clear();
      for (size_t k = 0; k < kChunk; ++k) records.push_back(typical_record(next++));
      i = 0;
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(queue.submit(std::move(records[i++])));
  }
  state.counters["dropped"] = static_cast<double>(ledger.dropped());
}
// Fixed iterations: the untimed refill and flush cost far more than the timed submit.
BENCHMARK(BM_LedgerSubmit)->Iterations(1 << 20);

// The ring alone while a consumer thread drains it concurrently, as the writer does:
// includes the cache-line traffic between shard and writer.
void BM_LedgerRingPushWithConcurrentDrain(benchmark::State& state) {
  constexpr size_t kChunk = 4096;
  SpscRing<Record> ring(1 << 16);
  std::atomic<bool> done{false};
  std::thread consumer([&] {
    std::vector<Record> sink;
    sink.reserve(1 << 16);
    while (!done.load(std::memory_order_relaxed)) {
      ring.drain(1 << 16, [&](Record&& r) { sink.push_back(std::move(r)); });
      sink.clear();
      // Drain in bursts as the writer does, without spinning a core away from the producer.
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  });
  std::vector<Record> records;
  uint64_t next = 0;
  size_t i = kChunk;
  for (auto _ : state) {
    if (i == kChunk) {
      state.PauseTiming();
      records.clear();
      for (size_t k = 0; k < kChunk; ++k) records.push_back(typical_record(next++));
      i = 0;
      state.ResumeTiming();
    }
    while (!ring.try_push(std::move(records[i]))) {
    }
    ++i;
  }
  done.store(true);
  consumer.join();
}
BENCHMARK(BM_LedgerRingPushWithConcurrentDrain)->Iterations(1 << 21);

// Writer throughput: rows committed per second when each flush() is one batch of
// state.range(0) rows (one transaction, prepared INSERT, WAL, synchronous=NORMAL).
void BM_LedgerWriterThroughput(benchmark::State& state) {
  const size_t batch = static_cast<size_t>(state.range(0));
  BenchDir dir;
  Ledger ledger(bench_config(dir.db(), 3'600'000), 1, LedgerOptions{.early_wake = false});
  auto& queue = ledger.queue(0);
  uint64_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (size_t k = 0; k < batch; ++k) queue.submit(typical_record(next++));
    state.ResumeTiming();
    if (!ledger.flush()) state.SkipWithError("write failed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(ledger.rows_written()));
  state.counters["transactions"] = static_cast<double>(ledger.transactions());
}
BENCHMARK(BM_LedgerWriterThroughput)
    ->UseRealTime()  // the rows are written by the writer thread, not the timed one
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond);

// The same into PostgreSQL (multi-row INSERTs of up to 1,000 rows, one transaction per
// batch), at the URL in SLUICE_BENCH_PG_URL; skipped without one. A throwaway cluster:
//   python3 -c 'import sys; sys.path.insert(0, "tests/integration/gateway"); import pg, os;
//     c = pg.Cluster(); os.environ["SLUICE_BENCH_PG_URL"] = c.url();
//     os.system("./build/bench/sluice-bench --benchmark_filter=WriterThroughput"); c.stop()'
void BM_LedgerWriterThroughputPostgres(benchmark::State& state) {
  const char* url = std::getenv("SLUICE_BENCH_PG_URL");
  if (url == nullptr || *url == '\0') {
    state.SkipWithError("set SLUICE_BENCH_PG_URL to a PostgreSQL database");
    for (auto _ : state) {
    }
    return;
  }
  const size_t batch = static_cast<size_t>(state.range(0));
  BenchDir dir;
  sluice::config::Ledger config = bench_config(dir.db(), 3'600'000);
  config.kind = sluice::config::LedgerKind::postgres;
  config.url = url;
  config.spool = dir.db() + ".spool";
  Ledger ledger(config, 1, LedgerOptions{.early_wake = false});
  auto& queue = ledger.queue(0);
  uint64_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (size_t k = 0; k < batch; ++k) queue.submit(typical_record(next++));
    state.ResumeTiming();
    if (!ledger.flush()) state.SkipWithError("write failed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(ledger.rows_written()));
  state.counters["spooled"] = static_cast<double>(ledger.stats().spooled.load());
}
BENCHMARK(BM_LedgerWriterThroughputPostgres)
    ->UseRealTime()
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
