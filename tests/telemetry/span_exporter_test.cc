// The exporter's retry waits and its memory cap, without a network.
#include "sluice/telemetry/span_exporter.h"

#include <gtest/gtest.h>

namespace sluice::telemetry {
namespace {

TEST(SpanExporter, BackoffDoublesUpToItsCapAndHonoursTheCollectorsHint) {
  EXPECT_EQ(backoff_ms(1, std::nullopt), 500u);
  EXPECT_EQ(backoff_ms(2, std::nullopt), 1000u);
  EXPECT_EQ(backoff_ms(3, std::nullopt), 2000u);
  EXPECT_EQ(backoff_ms(7, std::nullopt), 30000u);
  EXPECT_EQ(backoff_ms(20, std::nullopt), 30000u);
  EXPECT_EQ(backoff_ms(1, 1500u), 1500u);
  EXPECT_EQ(backoff_ms(5, 0u), 0u);
  EXPECT_EQ(backoff_ms(1, 3600000u), 60000u);  // a retry-after of an hour waits a minute
}

TEST(SpanExporter, ByteCapDropsAndCountsWithoutBlocking) {
  config::Otlp c;
  c.host = "127.0.0.1";
  c.port = 9;  // discard: nothing answers, and the tick never comes while the test runs
  c.batch_ms = 60000;
  c.max_queue = 1000;
  c.max_queue_bytes = 3 * sizeof(SpanRecord) + 3000;
  c.max_retries = 0;
  SpanExporter e(c, 1);
  auto span = [](size_t content) {
    SpanRecord s;
    s.input_messages.assign(content, 'x');
    return s;
  };
  EXPECT_TRUE(e.submit(0, span(1000)));
  EXPECT_TRUE(e.submit(0, span(1000)));
  EXPECT_FALSE(e.submit(0, span(2000)));  // over the byte cap: dropped
  EXPECT_TRUE(e.submit(0, span(500)));
  EXPECT_FALSE(e.submit(1, span(0)));  // no such shard
  EXPECT_EQ(e.dropped(), 2u);
  EXPECT_EQ(e.queued_bytes(), 3 * sizeof(SpanRecord) + 2500);
}

TEST(SpanExporter, UnreadableHeadersStopTheStartWithoutTheirValue) {
  config::Otlp c;
  c.host = "127.0.0.1";
  c.port = 9;
  c.headers_env = "SLUICE_TEST_EXPORTER_HEADERS";
  setenv("SLUICE_TEST_EXPORTER_HEADERS", "Authorization=Basic s3cr3t%zz", 1);
  try {
    SpanExporter e(c, 1);
    FAIL() << "constructed";
  } catch (const std::exception& ex) {
    std::string what = ex.what();
    EXPECT_NE(what.find("SLUICE_TEST_EXPORTER_HEADERS"), std::string::npos);
    EXPECT_EQ(what.find("s3cr3t"), std::string::npos);
  }
  unsetenv("SLUICE_TEST_EXPORTER_HEADERS");
}

}  // namespace
}  // namespace sluice::telemetry
