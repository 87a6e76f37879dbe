// The Prometheus text format as the exposition writer produces it.
#include "sluice/metrics/exposition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace sluice::metrics {
namespace {

TEST(Exposition, FamilyWritesHelpThenType) {
  ExpositionWriter w;
  w.family("sluice_x_total", "counter", "Things counted.");
  EXPECT_EQ(w.text(), "# HELP sluice_x_total Things counted.\n# TYPE sluice_x_total counter\n");
}

TEST(Exposition, HelpEscapesBackslashAndNewlineButNotQuotes) {
  ExpositionWriter w;
  w.family("m", "gauge", "a\\b\nc \"d\"");
  EXPECT_EQ(w.text(), "# HELP m a\\\\b\\nc \"d\"\n# TYPE m gauge\n");
}

TEST(Exposition, SampleWithoutLabelsHasNoBraces) {
  ExpositionWriter w;
  w.sample("m", {}, uint64_t{7});
  EXPECT_EQ(w.text(), "m 7\n");
}

TEST(Exposition, LabelValuesEscapeBackslashQuoteAndNewline) {
  ExpositionWriter w;
  w.sample("m", {{"a", "x\\y"}, {"b", "say \"hi\"\nbye"}}, uint64_t{1});
  EXPECT_EQ(w.text(), "m{a=\"x\\\\y\",b=\"say \\\"hi\\\"\\nbye\"} 1\n");
}

TEST(Exposition, LabelValuesKeepUtf8AsIs) {
  std::string out;
  append_label_value(out, "café {} =,");
  EXPECT_EQ(out, "café {} =,");
}

TEST(Exposition, IntegersStayExact) {
  ExpositionWriter w;
  w.sample("m", {}, uint64_t{18446744073709551615ull});
  EXPECT_EQ(w.text(), "m 18446744073709551615\n");
}

TEST(Exposition, DoublesUseTheShortestRoundTripForm) {
  std::string out;
  append_number(out, 0.1);
  out += ' ';
  append_number(out, 1.245e-05);
  out += ' ';
  append_number(out, 3.0);
  EXPECT_EQ(out, "0.1 1.245e-05 3");
}

TEST(Exposition, SpecialDoublesUsePrometheusSpelling) {
  std::string out;
  append_number(out, std::numeric_limits<double>::infinity());
  out += ' ';
  append_number(out, -std::numeric_limits<double>::infinity());
  out += ' ';
  append_number(out, std::nan(""));
  EXPECT_EQ(out, "+Inf -Inf NaN");
}

TEST(Exposition, HistogramBucketsAreCumulativeAndEndWithInf) {
  static constexpr uint64_t kBounds[] = {1000000, 10000000, 100000000};  // 1, 10, 100 ms
  const Buckets b{kBounds, 3};
  Histogram h;
  h.observe(b, 500000);      // 0.5 ms  -> le 0.001
  h.observe(b, 1000000);     // exactly 1 ms: bounds are inclusive
  h.observe(b, 50000000);    // 50 ms   -> le 0.1
  h.observe(b, 2000000000);  // 2 s     -> above every bound
  ExpositionWriter w;
  w.histogram("d_seconds", std::initializer_list<Label>{{"route", "r"}}, b, h);
  EXPECT_EQ(w.text(),
            "d_seconds_bucket{route=\"r\",le=\"0.001\"} 2\n"
            "d_seconds_bucket{route=\"r\",le=\"0.01\"} 2\n"
            "d_seconds_bucket{route=\"r\",le=\"0.1\"} 3\n"
            "d_seconds_bucket{route=\"r\",le=\"+Inf\"} 4\n"
            "d_seconds_sum{route=\"r\"} 2.0515\n"
            "d_seconds_count{route=\"r\"} 4\n");
}

TEST(Exposition, EmptyHistogramStillWritesEveryBucket) {
  static constexpr uint64_t kBounds[] = {1000000};
  const Buckets b{kBounds, 1};
  ExpositionWriter w;
  w.histogram("d", {}, b, Histogram{});
  EXPECT_EQ(w.text(), "d_bucket{le=\"0.001\"} 0\nd_bucket{le=\"+Inf\"} 0\nd_sum 0\nd_count 0\n");
}

TEST(Exposition, HistogramMergeAddsBucketByBucket) {
  static constexpr uint64_t kBounds[] = {10, 20};
  const Buckets b{kBounds, 2};
  Histogram x, y;
  x.observe(b, 5);
  y.observe(b, 15);
  y.observe(b, 25);
  x.merge(y);
  EXPECT_EQ(x.count, 3u);
  EXPECT_EQ(x.sum_ns, 45u);
  EXPECT_EQ(x.counts[0], 1u);
  EXPECT_EQ(x.counts[1], 1u);
  EXPECT_EQ(x.counts[2], 1u);
}

TEST(Exposition, StandardBucketsAscend) {
  for (const Buckets* b : {&kLatencyBuckets, &kOverheadBuckets}) {
    ASSERT_GT(b->count, 1u);
    ASSERT_LE(b->count, kMaxBounds);
    for (size_t i = 1; i < b->count; ++i) EXPECT_LT(b->bounds_ns[i - 1], b->bounds_ns[i]);
  }
}

}  // namespace
}  // namespace sluice::metrics
