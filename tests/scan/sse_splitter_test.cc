// SseSplitter against the WHATWG EventSource parsing rules, the sse_edge_* fixtures (the
// web-platform-tests vectors) and the zero-copy / bounded-scratch promises.

#include "sluice/scan/sse_splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scan_test_support.h"

namespace sluice::scan {
namespace {

using testing::bytes_of;
using testing::cut;
using testing::OwnedEvent;
using testing::read_fixture;
using testing::split_events;

OwnedEvent data_event(std::string data, uint64_t offset, uint64_t length) {
  OwnedEvent e;
  e.data = std::move(data);
  e.offset = offset;
  e.length = length;
  return e;
}

// Every way of feeding `stream` (whole, every two-span split, one byte at a time) yields
// `expected`.
void expect_events_for_every_split(const std::string& stream,
                                   const std::vector<OwnedEvent>& expected) {
  EXPECT_EQ(split_events(stream), expected) << "whole";
  for (size_t at = 0; at <= stream.size(); ++at) {
    ASSERT_EQ(split_events(cut(stream, {at})), expected) << "split at " << at;
  }
  EXPECT_EQ(split_events(bytes_of(stream)), expected) << "one-byte spans";
}

TEST(SseSplitter, DispatchesAnEventOnABlankLine) {
  expect_events_for_every_split("data: hello\n\n", {data_event("hello", 0, 13)});
}

TEST(SseSplitter, RemovesOnlyOneLeadingSpaceOfAValue) {
  expect_events_for_every_split("data:  two\n\n", {data_event(" two", 0, 12)});
}

TEST(SseSplitter, JoinsDataLinesWithLineFeeds) {
  const std::string stream = read_fixture("sse_edge_multiline_data.sse");
  OwnedEvent e = data_event("{\n\"foo\":\n\n\ntrue}", 0, stream.size() - 1);
  e.type = "ping";
  expect_events_for_every_split(stream, {e});
}

TEST(SseSplitter, FieldNameWithoutColonHasAnEmptyValue) {
  // WPT "field data": `data:` and a bare `data` each add an empty line to the data.
  expect_events_for_every_split(
      read_fixture("sse_edge_wpt_field_data.sse"),
      {data_event("", 0, 7), data_event("\n", 7, 11), data_event("test", 18, 11)});
}

TEST(SseSplitter, SkipsCommentsAcrossCrLfAndCrLfLineEnds) {
  // WPT "comments": comment lines, one holding NUL, and 2 KiB comments, between data
  // lines ended by CR, LF and CRLF, make one event.
  const std::string stream = read_fixture("sse_edge_wpt_comments_mixed_newlines.sse");
  expect_events_for_every_split(stream, {data_event("1\n2\n3\n4", 0, stream.size())});
}

TEST(SseSplitter, KeepsMultibyteUtf8Intact) {
  const std::string stream = read_fixture("sse_edge_multibyte_utf8.sse");
  OwnedEvent e = data_event(
      "{\"content\": \"\xd0\xb8\xd0\xb7\xd0\xb2\xd0\xb5\xd1\x81\xd1\x82\xd0\xbd\xd0\xb8\"}", 0,
      stream.size());
  e.type = "completion";
  expect_events_for_every_split(stream, {e});
}

TEST(SseSplitter, FinishReportsTheUnterminatedLastEventFlagged) {
  // The spec discards "test2"; we report it, flagged, for its usage.
  OwnedEvent first = data_event("test1", 0, 23);
  first.retry = 1000;
  OwnedEvent last = data_event("test2", 23, 19);
  last.id = "test";
  last.unterminated = true;
  expect_events_for_every_split(read_fixture("sse_edge_wpt_unterminated_last_event.sse"),
                                {first, last});
}

TEST(SseSplitter, FinishEndsAnUnterminatedLastLine) {
  OwnedEvent e = data_event("cut", 0, 8);
  e.unterminated = true;
  expect_events_for_every_split("data:cut", {e});
}

TEST(SseSplitter, TreatsCrLfAndCrAlikeAsLineEnds) {
  expect_events_for_every_split(
      "data:a\r\rdata:b\r\n\r\ndata:c\n\n",
      {data_event("a", 0, 8), data_event("b", 8, 10), data_event("c", 18, 8)});
}

TEST(SseSplitter, CrEndingOneSpanAndLfStartingTheNextAreOneLineEnd) {
  // Were they two line ends, the LF would be a blank line dispatching "a" alone.
  EXPECT_EQ(split_events(cut("data:a\r\ndata:b\n\n", {7})), std::vector{data_event("a\nb", 0, 16)});
}

TEST(SseSplitter, EventEndingInCrAtASpanEndIncludesTheLfThatFollows) {
  EXPECT_EQ(split_events(cut("data:a\r\n\r\ndata:b\n\n", {9})),
            (std::vector{data_event("a", 0, 10), data_event("b", 10, 8)}));
}

TEST(SseSplitter, EventEndingInCrAtTheStreamEndIsComplete) {
  EXPECT_EQ(split_events("data:a\r\r"), std::vector{data_event("a", 0, 8)});
}

TEST(SseSplitter, CrLfBlankLinesBeforeAnEventAreNotPartOfIt) {
  expect_events_for_every_split(": ping\r\n\r\n\r\ndata:a\r\n\r\n", {data_event("a", 12, 10)});
}

TEST(SseSplitter, BlockWithoutDataIsNoEvent) {
  expect_events_for_every_split("event: ping\n\n: keep-alive\n\nretry: 5\n\n", {});
}

OwnedEvent typed_event(std::string type, std::string data, uint64_t offset, uint64_t length) {
  OwnedEvent e = data_event(std::move(data), offset, length);
  e.type = std::move(type);
  return e;
}

TEST(SseSplitter, EventOffsetCoversCommentsBeforeIt) {
  expect_events_for_every_split("\n\n\n\n: hi\nevent:t\ndata:x\n\n",
                                {typed_event("t", "x", 4, 21)});
}

TEST(SseSplitter, LaterEventFieldOverridesEarlier) {
  expect_events_for_every_split("event:first\nevent:second\ndata:x\n\n",
                                {typed_event("second", "x", 0, 33)});
}

TEST(SseSplitter, IdPersistsAcrossEvents) {
  const auto events = split_events("id: 7\ndata:a\n\ndata:b\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].id, "7");
  EXPECT_EQ(events[1].id, "7");
}

TEST(SseSplitter, IdHoldingNulIsIgnored) {
  const auto events = split_events(std::string("id:1\ndata:a\n\nid:2\0x\ndata:b\n\n", 27));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].id, "1");
}

TEST(SseSplitter, RetryMustBeAllDigits) {
  const std::string stream = "retry: 12a\ndata:a\n\nretry:\ndata:b\n\nretry: 2500\ndata:c\n\n";
  const auto events = split_events(stream);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].retry, -1);
  EXPECT_EQ(events[1].retry, -1);
  EXPECT_EQ(events[2].retry, 2500);
}

TEST(SseSplitter, UnknownLinesAreKeptAsStrayText) {
  const auto events = split_events("foo: bar\ndata:a\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].stray, "foo: bar");
  EXPECT_EQ(events[0].data, "a");
}

TEST(SseSplitter, BareJsonLineIsDeliveredWithoutData) {
  // Gemini's mid-stream error: no `data:` prefix, no line end, no blank line.
  OwnedEvent e;
  e.stray = "{\"error\": {\"code\": 500}}";
  e.has_data = false;
  e.length = e.stray.size();
  e.unterminated = true;
  expect_events_for_every_split(e.stray, {e});
}

TEST(SseSplitter, EventInsideOneSpanIsAViewIntoIt) {
  const std::string span = "data: {\"a\":1}\n\n";
  SseSplitter splitter;
  const SseStep step = splitter.step(span);
  ASSERT_EQ(step.status, SseStatus::event);
  EXPECT_EQ(splitter.event().data.data(), span.data() + 6);
}

TEST(SseSplitter, LineStraddlingSpansIsCopiedOut) {
  const std::string stream = "data: {\"a\":1}\n\n";
  EXPECT_EQ(split_events(cut(stream, {9})), std::vector{data_event("{\"a\":1}", 0, 15)});
}

TEST(SseSplitter, EventStraddlingSpansSurvivesTheFirstSpan) {
  // The data line is whole in the first span, but the blank line is in the next:
  // split_events scribbles over the first span before feeding the second.
  const std::string stream = "event: x\ndata: {\"a\":1}\n";
  std::vector<std::string_view> pieces = {stream, "\n"};
  OwnedEvent e = data_event("{\"a\":1}", 0, stream.size() + 1);
  e.type = "x";
  EXPECT_EQ(testing::split_events(pieces), std::vector{e});
}

TEST(SseSplitter, OversizedEventIsTruncatedTheSameWayForEverySplit) {
  const std::string big(100, 'x');
  OwnedEvent e = data_event(std::string(16, 'x'), 0, 108);
  e.truncated = true;
  const std::string stream = "data: " + big + "\n\n";
  EXPECT_EQ(split_events(stream, 16), std::vector{e});
  for (size_t at = 0; at <= stream.size(); ++at) {
    ASSERT_EQ(split_events(cut(stream, {at}), 16), std::vector{e}) << at;
  }
}

TEST(SseSplitter, JoinedDataStopsAtTheCap) {
  OwnedEvent e = data_event("aaaa\nbbb", 0, 23);
  e.truncated = true;
  EXPECT_EQ(split_events("data:aaaa\ndata:bbbbbb\n\n", 8), std::vector{e});
}

TEST(SseSplitter, SkipsALeadingByteOrderMark) {
  expect_events_for_every_split(
      "\xEF\xBB\xBF"
      "data:a\n\n",
      {data_event("a", 0, 11)});
}

TEST(SseSplitter, PartialByteOrderMarkIsLineContent) {
  const auto events = split_events(
      "\xEF\xBB"
      "data:a\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].has_data);
  EXPECT_EQ(events[0].stray,
            "\xEF\xBB"
            "data:a");
}

TEST(SseSplitter, SettledOffsetStopsAtTheUnfinishedEvent) {
  SseSplitter splitter;
  std::string_view in = "data:a\n\ndata:b\n";
  SseStep step = splitter.step(in);
  ASSERT_EQ(step.status, SseStatus::event);
  in.remove_prefix(step.consumed);
  EXPECT_EQ(splitter.settled_offset(), 8u);
  step = splitter.step(in);
  EXPECT_EQ(step.status, SseStatus::need_more);
  EXPECT_EQ(splitter.settled_offset(), 8u);
  EXPECT_EQ(splitter.bytes_consumed(), 15u);
}

TEST(SseSplitter, FinishTwiceDeliversNothingMore) {
  SseSplitter splitter;
  splitter.step("data:a");
  EXPECT_TRUE(splitter.finish());
  EXPECT_FALSE(splitter.finish());
}

TEST(SseSplitter, ResetStartsANewStream) {
  SseSplitter splitter;
  splitter.step("id:1\ndata:a");
  splitter.finish();
  splitter.reset();
  ASSERT_EQ(splitter.step("data:b\n\n").status, SseStatus::event);
  EXPECT_EQ(splitter.event().data, "b");
  EXPECT_EQ(splitter.event().id, "");
  EXPECT_EQ(splitter.event().offset, 0u);
}

TEST(SseSplitter, ProviderFixturesYieldTheSameEventsForEverySplit) {
  for (const char* name :
       {"openai_chat_stream_include_usage.sse", "openai_responses_stream_doc_example.sse",
        "anthropic_messages_stream_text_cache_fields.sse",
        "gemini_stream_thoughts_usage_every_chunk_crlf.sse",
        "gemini_stream_midstream_error_sdk.sse"}) {
    SCOPED_TRACE(name);
    const std::string stream = read_fixture(name);
    const auto whole = split_events(stream);
    ASSERT_FALSE(whole.empty());
    EXPECT_EQ(whole.back().offset + whole.back().length, stream.size());
    for (size_t at = 0; at <= stream.size(); ++at) {
      ASSERT_EQ(split_events(cut(stream, {at})), whole) << "split at " << at;
    }
    EXPECT_EQ(split_events(bytes_of(stream)), whole);
  }
}

}  // namespace
}  // namespace sluice::scan
