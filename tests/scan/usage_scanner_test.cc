// Every provider fixture through the whole pipeline gives the usage its provider meant,
// the same for every split of the body; cut-off and error streams are told apart; the
// usage-only chunk the gateway asked for can be cut out exactly.

#include "sluice/scan/usage_scanner.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scan_test_support.h"
#include "sluice/scan/byte_search.h"

namespace sluice::scan {
namespace {

using testing::bytes_of;
using testing::cut;
using testing::read_fixture;
using testing::scan;
using testing::ScanResult;
using testing::usage_of;

struct FixtureCase {
  const char* file;
  ResponseApi api;
  bool streaming;
  Usage usage;
  StreamOutcome outcome;
  const char* error_type;
  uint64_t output_chars;  // counted independently from the fixture's JSON
  size_t usage_only_chunks;
};

void PrintTo(const FixtureCase& c, std::ostream* os) { *os << c.file; }

constexpr Usage kNone{};
constexpr auto kComplete = StreamOutcome::complete;
constexpr auto kError = StreamOutcome::error;

const FixtureCase kFixtures[] = {
    {"openai_chat_stream_include_usage.sse", ResponseApi::openai_chat, true, usage_of(14, 30),
     kComplete, "", 159, 1},
    {"openai_chat_stream_finish_length_include_usage.sse", ResponseApi::openai_chat, true,
     usage_of(79, 1), kComplete, "", 2, 1},
    {"openai_chat_stream_midstream_error.sse", ResponseApi::openai_chat, true, kNone, kError,
     "server_error", 10, 0},
    {"openai_responses_stream_doc_example.sse", ResponseApi::openai_responses, true,
     usage_of(37, 11), kComplete, "", 2, 0},
    {"openai_responses_stream_sdk_text.sse", ResponseApi::openai_responses, true, usage_of(10, 2),
     kComplete, "", 11, 0},
    {"anthropic_messages_stream_basic_sdk.sse", ResponseApi::anthropic, true, usage_of(11, 6),
     kComplete, "", 12, 0},
    {"anthropic_messages_stream_text_cache_fields.sse", ResponseApi::anthropic, true,
     usage_of(135, 10), kComplete, "", 13, 0},
    {"anthropic_messages_stream_overloaded_midstream.sse", ResponseApi::anthropic, true,
     usage_of(135, 1), kError, "overloaded_error", 1, 0},
    {"gemini_stream_thoughts_usage_every_chunk_crlf.sse", ResponseApi::gemini, true,
     usage_of(20, 253 + 260, 0, 0, 260), kComplete, "", 1156, 0},
    {"gemini_stream_prompt_only_until_final_crlf.sse", ResponseApi::gemini, true, usage_of(6, 20),
     kComplete, "", 91, 0},
    {"gemini_stream_midstream_error_sdk.sse", ResponseApi::gemini, true, usage_of(8, 1), kError,
     "INTERNAL", 3, 0},
    {"openai_chat_nonstream.json", ResponseApi::openai_chat, false, usage_of(14, 37), kComplete, "",
     0, 0},
    {"openai_responses_nonstream.json", ResponseApi::openai_responses, false, usage_of(14, 50),
     kComplete, "", 0, 0},
    {"anthropic_messages_nonstream.json", ResponseApi::anthropic, false, usage_of(406, 50),
     kComplete, "", 0, 0},
    {"gemini_generate_content_nonstream.json", ResponseApi::gemini, false, usage_of(17, 6),
     kComplete, "", 0, 0},
};

class FixtureScan : public ::testing::TestWithParam<FixtureCase> {
 protected:
  std::string body_ = read_fixture(GetParam().file);
};

TEST_P(FixtureScan, GivesTheUsageTheProviderMeant) {
  const FixtureCase& c = GetParam();
  const ScanResult r = scan(c.api, c.streaming, body_);
  EXPECT_EQ(r.usage, c.usage) << r;
  EXPECT_EQ(r.outcome, c.outcome) << r;
  EXPECT_EQ(r.error_type, c.error_type);
  EXPECT_EQ(r.output_chars, c.output_chars);
  EXPECT_EQ(r.usage_only_chunks.size(), c.usage_only_chunks);
  EXPECT_FALSE(r.truncated);
}

TEST_P(FixtureScan, GivesTheSameResultForEveryTwoSpanSplit) {
  const FixtureCase& c = GetParam();
  const ScanResult whole = scan(c.api, c.streaming, body_);
  for (size_t at = 0; at <= body_.size(); ++at) {
    ASSERT_EQ(scan(c.api, c.streaming, cut(body_, {at})), whole) << "split at " << at;
  }
}

TEST_P(FixtureScan, GivesTheSameResultForOneByteSpans) {
  const FixtureCase& c = GetParam();
  EXPECT_EQ(scan(c.api, c.streaming, bytes_of(body_)), scan(c.api, c.streaming, body_));
}

TEST_P(FixtureScan, GivesTheSameResultOnCpusWithoutAvx2) {
  const FixtureCase& c = GetParam();
  const ScanResult best = scan(c.api, c.streaming, body_);
  prefer_sse2_for_testing(true);
  const ScanResult sse2 = scan(c.api, c.streaming, body_);
  const ScanResult sse2_bytes = scan(c.api, c.streaming, bytes_of(body_));
  prefer_sse2_for_testing(false);
  EXPECT_EQ(sse2, best);
  EXPECT_EQ(sse2_bytes, best);
}

// A body whose length the head gave is read where it lies when it comes in one piece,
// and copied as before when it comes in several: the same result either way.
TEST_P(FixtureScan, GivesTheSameResultWhenTheBodyLengthIsKnown) {
  const FixtureCase& c = GetParam();
  const ScanResult whole = scan(c.api, c.streaming, body_);
  auto with_length = [&](const std::vector<std::string_view>& pieces, uint64_t length) {
    UsageScanner scanner(c.api, c.streaming);
    scanner.expect_body_bytes(length);
    testing::feed_pieces(pieces, [&](std::string_view in) { scanner.feed(in); });
    scanner.finish();
    return ScanResult{
        scanner.usage(),        scanner.outcome(),           std::string(scanner.error_type()),
        scanner.output_chars(), scanner.usage_only_chunks(), scanner.events(),
        scanner.truncated()};
  };
  EXPECT_EQ(with_length({body_}, body_.size()), whole);
  for (size_t at = 1; at < body_.size(); at += 7)
    ASSERT_EQ(with_length(cut(body_, {at}), body_.size()), whole) << "split at " << at;
  // A length that does not match what came (a head that lied) is not trusted.
  EXPECT_EQ(with_length({body_}, body_.size() + 1), whole);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureScan, ::testing::ValuesIn(kFixtures),
                         [](const ::testing::TestParamInfo<FixtureCase>& info) {
                           std::string name = info.param.file;
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

// ---- the usage-only chunk

TEST(UsageScanner, UsageOnlyChunkExtentCoversItsEventThroughTheBlankLine) {
  const std::string stream = read_fixture("openai_chat_stream_include_usage.sse");
  const ScanResult r = scan(ResponseApi::openai_chat, true, stream);
  ASSERT_EQ(r.usage_only_chunks.size(), 1u);
  const size_t start = stream.rfind("data: ", stream.find("\"choices\":[]"));
  const size_t end = stream.find("\n\n", start) + 2;
  EXPECT_EQ(r.usage_only_chunks[0], (ByteRange{start, end - start}));
}

TEST(UsageScanner, DroppingTheUsageOnlyChunkLeavesTheStreamAClientExpects) {
  const std::string stream = read_fixture("openai_chat_stream_include_usage.sse");
  const ScanResult r = scan(ResponseApi::openai_chat, true, stream);
  ASSERT_EQ(r.usage_only_chunks.size(), 1u);
  std::string relayed = stream;
  relayed.erase(r.usage_only_chunks[0].offset, r.usage_only_chunks[0].length);

  EXPECT_EQ(relayed.find("usage"), std::string::npos);
  EXPECT_TRUE(relayed.ends_with("}\n\ndata: [DONE]\n\n"));
  const ScanResult seen = scan(ResponseApi::openai_chat, true, relayed);
  EXPECT_FALSE(seen.usage.found);
  EXPECT_EQ(seen.outcome, StreamOutcome::complete);
  EXPECT_EQ(seen.output_chars, r.output_chars);
  EXPECT_EQ(seen.events, r.events - 1);
}

TEST(UsageScanner, SettledOffsetNeverPassesAnUnfinishedUsageChunk) {
  const std::string stream = read_fixture("openai_chat_stream_include_usage.sse");
  const size_t usage_start = stream.rfind("data: ", stream.find("\"choices\":[]"));
  UsageScanner scanner(ResponseApi::openai_chat, true);
  scanner.feed(std::string_view(stream).substr(0, usage_start + 40));
  EXPECT_EQ(scanner.settled_offset(), usage_start);
  EXPECT_TRUE(scanner.usage_only_chunks().empty());
}

// ---- cut-off streams

TEST(UsageScanner, OpenAiStreamCutBeforeUsageIsCutOffWithOutputCounted) {
  const std::string stream = read_fixture("openai_chat_stream_include_usage.sse");
  const ScanResult r =
      scan(ResponseApi::openai_chat, true, std::string_view(stream).substr(0, 3000));
  EXPECT_EQ(r.outcome, StreamOutcome::cut_off);
  EXPECT_FALSE(r.usage.found);
  EXPECT_GT(r.output_chars, 0u);
  EXPECT_LT(r.output_chars, 159u);
}

TEST(UsageScanner, UsageInAnUnterminatedLastEventStillCounts) {
  const std::string stream = read_fixture("openai_chat_stream_finish_length_include_usage.sse");
  const size_t cut_at = stream.find("}}}\n") + 3;  // the usage chunk, its blank line missing
  const ScanResult r =
      scan(ResponseApi::openai_chat, true, std::string_view(stream).substr(0, cut_at));
  EXPECT_EQ(r.usage, usage_of(79, 1));
  EXPECT_EQ(r.outcome, StreamOutcome::cut_off);
}

TEST(UsageScanner, AnthropicStreamCutAfterMessageStartKeepsItsUsage) {
  const std::string stream = read_fixture("anthropic_messages_stream_text_cache_fields.sse");
  const size_t cut_at = stream.find("event: content_block_delta");
  const ScanResult r =
      scan(ResponseApi::anthropic, true, std::string_view(stream).substr(0, cut_at));
  EXPECT_EQ(r.usage, usage_of(135, 1));
  EXPECT_EQ(r.outcome, StreamOutcome::cut_off);
}

TEST(UsageScanner, OutcomeBeforeFinishReadsCutOffUntilTheEndShows) {
  UsageScanner scanner(ResponseApi::anthropic, true);
  scanner.feed("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{}}\n\n");
  EXPECT_EQ(scanner.outcome(), StreamOutcome::cut_off);
  scanner.feed("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  EXPECT_EQ(scanner.outcome(), StreamOutcome::complete);
}

TEST(UsageScanner, PrettyPrintedErrorInAnEventStreamIsAnError) {
  // A 404 whose Content-Type says text/event-stream: its JSON lines are no SSE fields.
  const std::string response = read_fixture("gemini_404_on_stream_endpoint.http");
  const ScanResult r = scan(ResponseApi::gemini, true,
                            std::string_view(response).substr(response.find("\r\n\r\n") + 4));
  EXPECT_EQ(r.outcome, StreamOutcome::error);
  EXPECT_EQ(r.error_type, "NOT_FOUND");
}

// ---- non-streaming bodies

TEST(UsageScanner, TruncatedBodyIsCutOffWithoutUsage) {
  const std::string body = read_fixture("anthropic_messages_nonstream.json");
  const ScanResult r = scan(ResponseApi::anthropic, false, std::string_view(body).substr(0, 300));
  EXPECT_EQ(r.outcome, StreamOutcome::cut_off);
  EXPECT_FALSE(r.usage.found);
}

TEST(UsageScanner, BodyOverTheCapFindsUsageInItsTail) {
  // An embeddings-sized body: megabytes of numbers, usage at the end.
  std::string body = R"({"object":"list","data":[{"embedding":[)";
  for (int i = 0; i < 100000; ++i) body += "0.0123456789,";
  body += R"(1]}],"usage":{"prompt_tokens":8,"total_tokens":8}})";
  ScanLimits limits;
  limits.max_body_bytes = 64 * 1024;
  std::vector<std::string_view> pieces;
  for (size_t at = 0; at < body.size(); at += 16384)
    pieces.push_back(std::string_view(body).substr(at, 16384));
  const ScanResult r = scan(ResponseApi::openai_chat, false, pieces, limits);
  EXPECT_EQ(r.usage, usage_of(8, 0));
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.outcome, StreamOutcome::complete);
}

TEST(UsageScanner, ErrorBodyIsAnError) {
  const ScanResult r =
      scan(ResponseApi::openai_chat, false,
           R"({"error":{"message":"Rate limit","type":"requests","code":"rate_limit_exceeded"}})");
  EXPECT_EQ(r.outcome, StreamOutcome::error);
  EXPECT_EQ(r.error_type, "requests");
}

// ---- limits

TEST(UsageScanner, EventOverTheCapIsMarkedTruncated) {
  ScanLimits limits;
  limits.max_event_bytes = 64;
  const std::string stream = read_fixture("openai_chat_stream_include_usage.sse");
  for (size_t at : {size_t{0}, size_t{100}, size_t{5000}}) {
    const ScanResult r = scan(ResponseApi::openai_chat, true, cut(stream, {at}), limits);
    EXPECT_TRUE(r.truncated);
    EXPECT_FALSE(r.usage.found);  // the usage chunk was cut before its usage
    EXPECT_EQ(r.outcome, StreamOutcome::complete);
  }
}

}  // namespace
}  // namespace sluice::scan
