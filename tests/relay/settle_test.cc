#include "sluice/relay/settle.h"

#include <gtest/gtest.h>

namespace sluice::relay {
namespace {

constexpr uint64_t kMs = 1'000'000;

RequestInfo dispatched(uint64_t arrival, uint64_t dispatch) {
  RequestInfo info;
  info.arrival_ns = arrival;
  info.dispatch_ns = dispatch;
  return info;
}

TEST(GatewayOverhead, IsTimeBeforeDispatchPlusTheLastTurn) {
  // 3 ms before dispatch, the exchange ends 2 ms into the turn that got the last bytes.
  const RequestInfo info = dispatched(100 * kMs, 103 * kMs);
  EXPECT_EQ(gateway_overhead_ns(info, 500 * kMs, 498 * kMs), 5 * kMs);
  // A turn clock read after the end adds nothing.
  EXPECT_EQ(gateway_overhead_ns(info, 500 * kMs, 501 * kMs), 3 * kMs);
}

TEST(GatewayOverhead, NeverExceedsTheRequestsDuration) {
  // Ended in the turn it was dispatched in: that turn began before the dispatch.
  const RequestInfo info = dispatched(100 * kMs, 103 * kMs);
  EXPECT_EQ(gateway_overhead_ns(info, 104 * kMs, 99 * kMs), 4 * kMs);
}

TEST(Settle, RecordsOverheadInMicrosecondsForADispatchedRequest) {
  RequestInfo info = dispatched(100 * kMs, 107 * kMs + 400'000);
  ExchangeResult res;
  res.status = 200;
  res.attempts = 1;
  const ledger::Record rec = settle(info, res, nullptr, nullptr, 900 * kMs, 899 * kMs);
  EXPECT_EQ(rec.latency_ms, 800u);
  EXPECT_EQ(rec.overhead_us, 8400);  // 7.4 ms + 1 ms, in microseconds
}

TEST(Settle, ARequestNeverDispatchedHasNoOverhead) {
  RequestInfo info;
  info.arrival_ns = 100 * kMs;
  ExchangeResult res;
  res.status = 429;
  const ledger::Record rec = settle(info, res, nullptr, nullptr, 150 * kMs, 150 * kMs);
  EXPECT_EQ(rec.overhead_us, -1);
  EXPECT_EQ(rec.latency_ms, 50u);
}

TEST(Settle, TheRequestIdsMoveIntoTheRecord) {
  RequestInfo info;
  info.request_id = "req-0123abcd-00-1f2e3d";  // longer than a short string holds
  info.upstream_request_id = "req_011CVq4mTzZxY8uP2kLr";
  const char* bytes = info.request_id.data();
  const char* upstream = info.upstream_request_id.data();
  ExchangeResult res;
  res.status = 200;
  const ledger::Record rec = settle(info, res, nullptr, nullptr, 0, 0);
  EXPECT_EQ(rec.request_id, "req-0123abcd-00-1f2e3d");
  EXPECT_EQ(rec.request_id.data(), bytes);  // the same memory: no copy
  EXPECT_EQ(rec.upstream_request_id, "req_011CVq4mTzZxY8uP2kLr");
  EXPECT_EQ(rec.upstream_request_id.data(), upstream);
}

}  // namespace
}  // namespace sluice::relay
