// Micro-benchmarks of body inspection and rewrite on a ~2 KiB OpenAI chat request
// (system prompt, a few turns, one tool): the work step 4 of the request path adds
// to every unified request.

#include <benchmark/benchmark.h>

#include <string>

#include "sluice/route/inspect.h"
#include "sluice/route/rewrite.h"

namespace {

using namespace sluice::route;

std::string chat_body() {
  std::string body = R"({"model":"gpt-4o","messages":[)";
  body += R"({"role":"system","content":"You are a support assistant for an online shop. )"
          R"(Answer briefly, cite the order number when you refer to one, and never )"
          R"(promise refunds: hand those to a human agent."},)";
  for (int i = 0; i < 6; ++i) {
    body += R"({"role":"user","content":"My order #10)" + std::to_string(i) +
            R"( arrived with a broken handle on the kettle. Can you help me get a )"
            R"(replacement sent out this week? I\u2019d prefer delivery before Friday."},)";
    body += R"({"role":"assistant","content":"I\u2019m sorry about that. I have opened )"
            R"(a replacement request for the kettle; you will get an email."},)";
  }
  body.pop_back();
  body += R"(],"tools":[{"type":"function","function":{"name":"lookup_order",)"
          R"("description":"Find an order by number","parameters":{"type":"object",)"
          R"("properties":{"order":{"type":"string"}},"required":["order"]}}}],)"
          R"("temperature":0.3,"max_completion_tokens":512,"stream":true,"user":"cust-8812"})";
  return body;
}

void BM_InspectChatBody(benchmark::State& state) {
  const std::string body = chat_body();
  BodyInfo info;
  for (auto _ : state) {
    InspectResult r = inspect_body(body, info);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.SetLabel(std::to_string(body.size()) + " B");
}
BENCHMARK(BM_InspectChatBody);

void BM_RewriteChatBody(benchmark::State& state) {
  const std::string body = chat_body();
  BodyInfo info;
  inspect_body(body, info);
  std::string out;
  for (auto _ : state) {
    rewrite_body(body, info, RewriteSpec{"gpt-4o-2024-08-06", true}, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_RewriteChatBody);

void BM_InspectAndRewriteChatBody(benchmark::State& state) {
  const std::string body = chat_body();
  BodyInfo info;
  std::string out;
  for (auto _ : state) {
    InspectResult r = inspect_body(body, info);
    benchmark::DoNotOptimize(r);
    rewrite_body(body, info, RewriteSpec{"gpt-4o-2024-08-06", true}, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_InspectAndRewriteChatBody);

}  // namespace
