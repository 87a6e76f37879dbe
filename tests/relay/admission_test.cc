// The admit stage decides and the flow answers: admission returns a verdict (admitted,
// may queue, refused, fleet down), and refusal() says what the client is told, without
// answering anyone or writing anything itself.
#include "sluice/relay/admission.h"

#include <gtest/gtest.h>

#include "sluice/core/buffer_ring.h"
#include "sluice/core/event_loop.h"

namespace sluice::relay {
namespace {

struct NoQueue final : QueueExit {
  void admitted_from_queue(net::Exchange&, UpstreamRequest&&) override { ++calls; }
  void refused_from_queue(net::Exchange&, UpstreamRequest&, const limit::Decision&) override {
    ++calls;
  }
  void left_queue(UpstreamRequest&) override { ++calls; }
  void queue_waited(const RequestInfo&, uint64_t) override { ++calls; }
  int calls = 0;
};

config::Config one_project(uint32_t queue_wait_ms) {
  config::Config c;
  config::Provider p;
  p.name = "acct";
  c.providers.push_back(p);
  config::Project project;
  project.name = "team";
  project.limits.requests_per_minute = 60;
  project.limits.burst_requests = 1;
  project.queue.max_wait_ms = queue_wait_ms;
  c.projects.push_back(project);
  return c;
}

RequestInfo request() {
  RequestInfo info;
  info.project = "team";
  info.alias = "gpt";
  info.provider = "acct";
  return info;
}

class AdmissionTest : public ::testing::Test {
 protected:
  core::EventLoop loop{64};
  core::BufferRing buffers{loop.ring(), 0, 8, 4096};
  net::IoContext io{loop, buffers, {}};
  NoQueue exit;
};

TEST_F(AdmissionTest, WithoutLimitsEveryRequestIsAdmittedWithoutATicket) {
  config::Config c = one_project(0);
  Admission a(nullptr, c, io, 0, exit);
  RequestInfo info = request();
  EXPECT_EQ(a.admit(info).kind, AdmitVerdict::Kind::admitted);
  EXPECT_FALSE(info.ticket.held);
}

TEST_F(AdmissionTest, OverTheLimitIsARefusalTheFlowAnswers) {
  config::Config c = one_project(0);
  limit::Registry reg(c, 1);
  Admission a(&reg, c, io, 0, exit);
  RequestInfo first = request();
  EXPECT_EQ(a.admit(first).kind, AdmitVerdict::Kind::admitted);
  EXPECT_TRUE(first.ticket.held);
  std::string lines;
  a.add_rate_headers(first, lines);
  EXPECT_NE(lines.find("x-ratelimit-limit-requests: 60\r\n"), std::string::npos) << lines;

  RequestInfo second = request();
  AdmitVerdict v = a.admit(second);
  ASSERT_EQ(v.kind, AdmitVerdict::Kind::refused);
  EXPECT_FALSE(second.ticket.held);
  EXPECT_FALSE(v.queue_full);
  AdmitRefusal no = a.refusal(v, second);
  EXPECT_EQ(no.status, 429);
  EXPECT_EQ(no.error, route::ErrorClass::rate_limited);
  // "retry in 1.000s", less whatever passed between the two calls.
  const std::string said = "rate limit reached: project:team requests per minute; retry in ";
  EXPECT_EQ(no.message.rfind(said, 0), 0u) << no.message;
  EXPECT_EQ(no.message.size(), said.size() + 6) << no.message;  // "0.999s" or "1.000s"
  EXPECT_EQ(no.message.back(), 's');
  EXPECT_NE(no.headers.find("retry-after: 1\r\n"), std::string::npos) << no.headers;
  EXPECT_NE(no.headers.find("retry-after-ms: "), std::string::npos) << no.headers;
  EXPECT_NE(no.headers.find("x-ratelimit-remaining-requests: 0\r\n"), std::string::npos)
      << no.headers;
  EXPECT_EQ(exit.calls, 0);  // nothing was queued, so nothing comes back
}

TEST_F(AdmissionTest, AProjectWithAQueueMayWaitForAsLongAsItAllows) {
  config::Config c = one_project(2500);
  limit::Registry reg(c, 1);
  Admission a(&reg, c, io, 0, exit);
  RequestInfo first = request();
  ASSERT_EQ(a.admit(first).kind, AdmitVerdict::Kind::admitted);
  RequestInfo second = request();
  AdmitVerdict v = a.admit(second);
  ASSERT_EQ(v.kind, AdmitVerdict::Kind::queue);
  EXPECT_EQ(v.wait_ms, 2500u);
  EXPECT_NE(v.plan, nullptr);
  EXPECT_GT(v.tokens, 0);  // its reservation, taken when the queue admits it
  EXPECT_FALSE(second.ticket.held);
}

TEST_F(AdmissionTest, AFleetThatRefusesWhileRedisIsDownAnswers503) {
  config::Config c = one_project(0);
  limit::Registry reg(c, 1);
  reg.fleet.refusing = true;
  Admission a(&reg, c, io, 0, exit);
  RequestInfo info = request();
  AdmitVerdict v = a.admit(info);
  ASSERT_EQ(v.kind, AdmitVerdict::Kind::fleet_down);
  AdmitRefusal no = a.refusal(v, info);
  EXPECT_EQ(no.status, 503);
  EXPECT_EQ(no.error, route::ErrorClass::provider_degraded);
  EXPECT_NE(no.message.find("fleet.on_redis_down"), std::string::npos) << no.message;
  EXPECT_EQ(no.headers, "retry-after: 1\r\n");
}

TEST_F(AdmissionTest, ASpentBudgetIsItsOwnRefusal) {
  config::Config c = one_project(0);
  c.projects[0].limits = {};
  c.projects[0].budget.nusd_per_day = 1000;
  limit::Registry reg(c, 1);
  Admission a(&reg, c, io, 0, exit);
  config::Price price;
  price.input_nusd_per_mtok = 1'000'000'000'000;  // $1,000 per million: 1,000 nano-USD a token
  price.output_nusd_per_mtok = 1'000'000'000'000;
  price.set = true;
  RequestInfo info = request();
  info.price = &price;
  info.input_chars = 4000;  // ~1,000 tokens: far past a 1,000 nano-USD budget
  AdmitVerdict v = a.admit(info);
  ASSERT_EQ(v.kind, AdmitVerdict::Kind::refused);
  AdmitRefusal no = a.refusal(v, info);
  EXPECT_EQ(no.status, 429);
  EXPECT_EQ(no.error, route::ErrorClass::budget_exceeded);
  EXPECT_EQ(no.message.rfind("budget exceeded: ", 0), 0u) << no.message;
}

}  // namespace
}  // namespace sluice::relay
