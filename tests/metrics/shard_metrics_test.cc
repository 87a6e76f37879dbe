// One shard's counters, their snapshot, merging shards, and the rendered families.
#include "sluice/metrics/shard_metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::metrics {
namespace {

RequestSample proxied(std::string_view alias, int status, uint64_t input, uint64_t output,
                      int64_t cost_nusd) {
  RequestSample s;
  s.route = "chat_completions";
  s.provider = "openai";
  s.alias = alias;
  s.project = "team";
  s.status = status;
  s.duration_ns = 20000000;
  s.proxied = true;
  s.ttft_ns = 10000000;
  s.overhead_ns = 30000;
  s.tokens[static_cast<size_t>(TokenKind::input)] = input;
  s.tokens[static_cast<size_t>(TokenKind::output)] = output;
  s.cost_nusd = cost_nusd;
  return s;
}

TEST(ShardMetrics, CountsRequestsByRouteProviderAliasAndStatus) {
  ShardMetrics m;
  m.add_known_value("gpt");  // a configured alias
  m.record_request(proxied("gpt", 200, 1, 2, 0));
  m.record_request(proxied("gpt", 200, 1, 2, 0));
  m.record_request(proxied("gpt", 502, 0, 0, 0));
  Snapshot s;
  m.snapshot(s);
  EXPECT_EQ((s.requests[{"chat_completions", "openai", "gpt", "200"}]), 2u);
  EXPECT_EQ((s.requests[{"chat_completions", "openai", "gpt", "502"}]), 1u);
  EXPECT_EQ(s.requests.size(), 2u);
}

TEST(ShardMetrics, SumsTokensByKindAndCost) {
  ShardMetrics m;
  m.add_known_value("gpt");  // a configured alias
  m.record_request(proxied("gpt", 200, 10, 20, 500'000'000));
  m.record_request(proxied("gpt", 200, 1, 2, 250'000'000));
  Snapshot s;
  m.snapshot(s);
  EXPECT_EQ((s.tokens[{"input", "team", "gpt"}]), 11u);
  EXPECT_EQ((s.tokens[{"output", "team", "gpt"}]), 22u);
  EXPECT_EQ((s.tokens[{"cached", "team", "gpt"}]), 0u);
  EXPECT_EQ((s.cost_nusd[{"team", "gpt"}]), 750'000'000);
}

TEST(ShardMetrics, OverheadAndFirstTokenOnlyForProxiedRequests) {
  ShardMetrics m;
  m.add_known_value("gpt");  // a configured alias
  RequestSample refused;
  refused.route = "chat_completions";
  refused.status = 401;
  refused.duration_ns = 1000;
  m.record_request(refused);
  m.record_request(proxied("gpt", 200, 1, 1, 0));
  Snapshot s;
  m.snapshot(s);
  EXPECT_EQ((s.duration[{"chat_completions", ""}].count), 1u);
  EXPECT_EQ((s.duration[{"chat_completions", "openai"}].count), 1u);
  EXPECT_EQ(s.overhead.size(), 1u);
  EXPECT_EQ((s.overhead[{"chat_completions", "openai"}].sum_ns), 30000u);
  EXPECT_EQ((s.ttft[{"openai", "gpt", "false"}].count), 1u);
}

TEST(ShardMetrics, RefusalsAndQueueWaitsByLabel) {
  ShardMetrics m;
  m.add_known_value("gpt");  // a configured alias
  m.count_refusal("rate_limited", "team");
  m.count_refusal("rate_limited", "team");
  m.count_refusal("unauthorized", "");
  m.observe_queue_wait("team", 2000000);
  Snapshot s;
  m.snapshot(s);
  EXPECT_EQ((s.refusals[{"rate_limited", "team"}]), 2u);
  EXPECT_EQ((s.refusals[{"unauthorized", ""}]), 1u);
  EXPECT_EQ((s.queue_wait[{"team"}].count), 1u);
  EXPECT_EQ((s.queue_wait[{"team"}].sum_ns), 2000000u);
}

TEST(ShardMetrics, UnknownLabelValuesPastTheCapBecomeOther) {
  ShardMetrics m;
  m.add_known_value("gpt");  // a configured alias
  m.add_known_value("configured");
  for (size_t i = 0; i < kMaxDynamicValues + 50; ++i) {
    RequestSample r = proxied("gpt", 200, 0, 0, 0);
    std::string route = "route-" + std::to_string(i);
    r.route = route;
    m.record_request(r);
  }
  RequestSample c = proxied("gpt", 200, 0, 0, 0);
  c.route = "configured";
  m.record_request(c);
  Snapshot s;
  m.snapshot(s);
  // Provider "openai" took one dynamic slot.
  size_t named = kMaxDynamicValues - 1;
  EXPECT_EQ((s.requests[{"other", "openai", "gpt", "200"}]), 50u + 1u);
  EXPECT_EQ((s.requests[{"configured", "openai", "gpt", "200"}]), 1u);
  EXPECT_EQ(s.requests.size(), named + 2);
}

TEST(Snapshot, MergeSumsCountersAndKeepsTheWorstBreakerState) {
  ShardMetrics a, b;
  a.add_known_value("gpt");
  b.add_known_value("gpt");
  a.record_request(proxied("gpt", 200, 3, 4, 1'000'000'000));
  b.record_request(proxied("gpt", 200, 5, 6, 2'000'000'000));
  Snapshot sa, sb;
  a.snapshot(sa);
  b.snapshot(sb);
  sa.breaker_state[{"openai"}] = static_cast<int>(BreakerState::closed);
  sb.breaker_state[{"openai"}] = static_cast<int>(BreakerState::open);
  sa.connections[0] = 3;
  sb.connections[1] = 4;
  sa.merge(sb);
  EXPECT_EQ((sa.requests[{"chat_completions", "openai", "gpt", "200"}]), 2u);
  EXPECT_EQ((sa.tokens[{"input", "team", "gpt"}]), 8u);
  EXPECT_EQ((sa.cost_nusd[{"team", "gpt"}]), 3'000'000'000);
  EXPECT_EQ((sa.duration[{"chat_completions", "openai"}].count), 2u);
  EXPECT_EQ((sa.breaker_state[{"openai"}]), 2);
  EXPECT_EQ(sa.connections[0], 3u);
  EXPECT_EQ(sa.connections[1], 4u);
}

TEST(Snapshot, CostIsRenderedAsTheExactDecimalOfItsIntegerSum) {
  ShardMetrics m;
  m.add_known_value("gpt");  // a configured alias
  for (int i = 0; i < 100; ++i) m.record_request(proxied("gpt", 200, 14, 37, 24'300));
  Snapshot s;
  m.snapshot(s);
  const std::string text = render(s, ProcessFigures{});
  EXPECT_NE(text.find("sluice_cost_usd_total{project=\"team\",alias=\"gpt\"} 0.00243\n"),
            std::string::npos)
      << text;
}

TEST(Snapshot, RenderWritesEveryFamilyEvenWhenEmpty) {
  std::string text = render(Snapshot{}, ProcessFigures{});
  for (const char* family :
       {"sluice_build_info", "sluice_requests_total", "sluice_tokens_total",
        "sluice_cost_usd_total", "sluice_request_duration_seconds",
        "sluice_time_to_first_token_seconds", "sluice_gateway_overhead_seconds",
        "sluice_refusals_total", "sluice_queue_wait_seconds", "sluice_breaker_state",
        "sluice_upstream_connections", "sluice_connections", "sluice_connections_refused_total"}) {
    EXPECT_NE(text.find(std::string("# TYPE ") + family + " "), std::string::npos) << family;
  }
  EXPECT_EQ(text.find("sluice_ledger_"), std::string::npos);
  EXPECT_EQ(text.find("sluice_otlp_"), std::string::npos);
}

TEST(Snapshot, RenderShowsProcessFiguresWhenConfigured) {
  ProcessFigures p;
  p.ledger = true;
  p.ledger_rows_written = 12;
  p.otlp = true;
  p.spans_dropped = 3;
  p.export_retries = 2;
  std::string text = render(Snapshot{}, p);
  EXPECT_NE(text.find("\nsluice_otlp_export_retries_total 2\n"), std::string::npos);
  EXPECT_NE(text.find("\nsluice_ledger_rows_written_total 12\n"), std::string::npos);
  EXPECT_NE(text.find("\nsluice_otlp_spans_dropped_total 3\n"), std::string::npos);
}

TEST(Snapshot, RenderEscapesLabelValues) {
  ShardMetrics m;
  m.add_known_value("evil\"}\nx 1");
  m.record_request(proxied("evil\"}\nx 1", 200, 0, 0, 0));
  Snapshot s;
  m.snapshot(s);
  std::string text = render(s, ProcessFigures{});
  EXPECT_NE(text.find("alias=\"evil\\\"}\\nx 1\""), std::string::npos);
}

TEST(ShardMetrics, ModelNamesNotConfiguredShareTheOtherLabel) {
  ShardMetrics m;
  m.add_known_value("gpt");
  m.record_request(proxied("gpt", 200, 1, 1, 0));
  std::string huge(1 << 20, 'x');
  for (int i = 0; i < 8; ++i) m.record_request(proxied(huge + std::to_string(i), 200, 1, 1, 0));
  Snapshot s;
  m.snapshot(s);
  EXPECT_EQ((s.requests[{"chat_completions", "openai", "gpt", "200"}]), 1u);
  EXPECT_EQ((s.requests[{"chat_completions", "openai", "other", "200"}]), 8u);
  EXPECT_EQ(render(s, ProcessFigures{}).find("xxxx"), std::string::npos);
}

}  // namespace
}  // namespace sluice::metrics
