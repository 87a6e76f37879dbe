// Specification of the incremental chunked decoder (RFC 9112 7.1).

#include "sluice/http/chunked_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace sluice::http {
namespace {

struct Decoded {
  std::string payload;
  ChunkStatus status = ChunkStatus::need_more;  // need_more, done or error
  size_t consumed = 0;                          // input bytes used, over all pieces
};

// Feeds `pieces` in order, stepping each until it is used up or the decoder stops.
Decoded decode(ChunkedDecoder& d, const std::vector<std::string_view>& pieces) {
  Decoded out;
  for (std::string_view in : pieces) {
    while (true) {
      const ChunkStep s = d.step(in);
      EXPECT_LE(s.consumed, in.size());
      out.consumed += s.consumed;
      in.remove_prefix(s.consumed);
      if (s.status == ChunkStatus::data) {
        EXPECT_FALSE(s.data.empty());
        out.payload.append(s.data);
        continue;
      }
      out.status = s.status;
      if (s.status != ChunkStatus::need_more) return out;
      EXPECT_TRUE(in.empty());
      break;
    }
  }
  return out;
}

Decoded decode(std::string_view body) {
  ChunkedDecoder d;
  return decode(d, {body});
}

void expect_error(std::string_view body) {
  EXPECT_EQ(decode(body).status, ChunkStatus::error) << body;
}

TEST(ChunkedDecoder, DecodesOneChunk) {
  const Decoded r = decode("5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(r.status, ChunkStatus::done);
  EXPECT_EQ(r.payload, "hello");
}

TEST(ChunkedDecoder, DecodesSeveralChunks) {
  const Decoded r = decode("3\r\nabc\r\n1\r\nd\r\na\r\n0123456789\r\n0\r\n\r\n");
  EXPECT_EQ(r.status, ChunkStatus::done);
  EXPECT_EQ(r.payload, "abcd0123456789");
}

TEST(ChunkedDecoder, PayloadIsAViewIntoTheInput) {
  const std::string body = "5\r\nhello\r\n0\r\n\r\n";
  ChunkedDecoder d;
  const ChunkStep s = d.step(body);
  ASSERT_EQ(s.status, ChunkStatus::data);
  EXPECT_EQ(s.data.data(), body.data() + 3);
  EXPECT_EQ(s.consumed, 8u);
}

TEST(ChunkedDecoder, AcceptsUpperAndLowerCaseHex) {
  EXPECT_EQ(decode("A\r\n0123456789\r\nb\r\n0123456789a\r\n0\r\n\r\n").payload.size(), 21u);
}

TEST(ChunkedDecoder, AcceptsLeadingZerosInSize) {
  EXPECT_EQ(decode("00000000000000000000003\r\nabc\r\n000\r\n\r\n").payload, "abc");
}

TEST(ChunkedDecoder, EmptyBodyIsJustTheLastChunk) {
  const Decoded r = decode("0\r\n\r\n");
  EXPECT_EQ(r.status, ChunkStatus::done);
  EXPECT_TRUE(r.payload.empty());
}

TEST(ChunkedDecoder, SkipsChunkExtensions) {
  EXPECT_EQ(decode("3;name=value;q=\"a;b\"\r\nabc\r\n0;last\r\n\r\n").payload, "abc");
}

TEST(ChunkedDecoder, AcceptsWhitespaceBeforeAnExtension) {
  EXPECT_EQ(decode("3 \t;ext\r\nabc\r\n0\r\n\r\n").payload, "abc");
}

TEST(ChunkedDecoder, RejectsWhitespaceAfterSizeWithoutExtension) {
  expect_error("3 \r\nabc\r\n0\r\n\r\n");
}

TEST(ChunkedDecoder, RejectsEmptySize) { expect_error("\r\nabc\r\n0\r\n\r\n"); }

TEST(ChunkedDecoder, RejectsExtensionWithoutSize) { expect_error(";x\r\n"); }

TEST(ChunkedDecoder, RejectsNonHexSize) {
  expect_error("g\r\n");
  expect_error("0x5\r\nhello\r\n0\r\n\r\n");
  expect_error("-1\r\n");
  expect_error("+5\r\nhello\r\n0\r\n\r\n");
}

TEST(ChunkedDecoder, RejectsSizeOverflow) {
  expect_error("10000000000000000\r\n");  // 2^64: 17 hex digits
  EXPECT_EQ(decode("ffffffffffffffff\r\nabc").status, ChunkStatus::need_more);
}

TEST(ChunkedDecoder, RejectsBareLfAfterSize) { expect_error("5\nhello\r\n0\r\n\r\n"); }

TEST(ChunkedDecoder, RejectsBareCrAfterSize) { expect_error("5\rhello\r\n0\r\n\r\n"); }

TEST(ChunkedDecoder, RejectsControlCharacterInExtension) {
  expect_error("5;a\nb\r\nhello\r\n0\r\n\r\n");
  expect_error(std::string("5;a") + '\0' + "\r\nhello\r\n0\r\n\r\n");
}

TEST(ChunkedDecoder, RejectsMissingCrlfAfterData) {
  expect_error("5\r\nhelloX\r\n0\r\n\r\n");
  expect_error("5\r\nhello\n0\r\n\r\n");
  expect_error("5\r\nhello\r0\r\n\r\n");
}

TEST(ChunkedDecoder, RejectsSizeLineOverTheLimit) {
  ChunkedDecoder d(8);
  EXPECT_EQ(decode(d, {"5;abcdefgh\r\nhello\r\n0\r\n\r\n"}).status, ChunkStatus::error);
  ChunkedDecoder ok(8);
  EXPECT_EQ(decode(ok, {"5;abcd\r\nhello\r\n0\r\n\r\n"}).status, ChunkStatus::done);
}

TEST(ChunkedDecoder, ConsumesTrailerFields) {
  const Decoded r = decode("3\r\nabc\r\n0\r\nX-Checksum: 1\r\nX-Other:\tv w\r\n\r\n");
  EXPECT_EQ(r.status, ChunkStatus::done);
  EXPECT_EQ(r.payload, "abc");
}

TEST(ChunkedDecoder, RejectsMalformedTrailer) {
  expect_error("0\r\nX-A: 1\r\n folded\r\n\r\n");
  expect_error("0\r\nno colon\r\n\r\n");
  expect_error("0\r\n: empty-name\r\n\r\n");
  expect_error("0\r\nX-A: a\x01\r\n\r\n");
  expect_error("0\r\nX-A: a\n\r\n");
  expect_error("0\r\n\n");
}

TEST(ChunkedDecoder, RejectsTrailerSectionOverTheLimit) {
  ChunkedDecoder d(4096, 16);
  EXPECT_EQ(decode(d, {"0\r\nX-Long-Trailer: value\r\n\r\n"}).status, ChunkStatus::error);
}

TEST(ChunkedDecoder, DoneStopsAtTheEndOfTheMessage) {
  // The next pipelined request must be left unconsumed.
  const std::string body = "2\r\nok\r\n0\r\n\r\n";
  const std::string bytes = body + "GET / HTTP/1.1\r\n";
  const Decoded r = decode(bytes);
  EXPECT_EQ(r.status, ChunkStatus::done);
  EXPECT_EQ(r.consumed, body.size());
}

TEST(ChunkedDecoder, StaysDoneAfterFinishing) {
  ChunkedDecoder d;
  decode(d, {"0\r\n\r\n"});
  EXPECT_TRUE(d.finished());
  const ChunkStep s = d.step("1\r\na\r\n");
  EXPECT_EQ(s.status, ChunkStatus::done);
  EXPECT_EQ(s.consumed, 0u);
}

TEST(ChunkedDecoder, StaysFailedAfterAnError) {
  ChunkedDecoder d;
  EXPECT_EQ(decode(d, {"z\r\n"}).status, ChunkStatus::error);
  EXPECT_EQ(d.step("0\r\n\r\n").status, ChunkStatus::error);
  EXPECT_FALSE(d.finished());
}

TEST(ChunkedDecoder, ResetStartsANewBody) {
  ChunkedDecoder d;
  decode(d, {"z"});
  d.reset();
  EXPECT_EQ(decode(d, {"1\r\na\r\n0\r\n\r\n"}).payload, "a");
  EXPECT_EQ(d.payload_bytes(), 1u);
}

TEST(ChunkedDecoder, CountsPayloadBytes) {
  ChunkedDecoder d;
  decode(d, {"3\r\nabc\r\n4\r\ndefg\r\n"});
  EXPECT_EQ(d.payload_bytes(), 7u);
}

TEST(ChunkedDecoder, EmptyInputNeedsMore) {
  ChunkedDecoder d;
  const ChunkStep s = d.step({});
  EXPECT_EQ(s.status, ChunkStatus::need_more);
  EXPECT_EQ(s.consumed, 0u);
}

TEST(ChunkedDecoder, IncompleteBodyNeedsMore) {
  EXPECT_EQ(decode("5\r\nhel").status, ChunkStatus::need_more);
  EXPECT_EQ(decode("5\r\nhello\r\n0\r\n").status, ChunkStatus::need_more);
}

const char* const kBodies[] = {
    "5\r\nhello\r\n0\r\n\r\n",
    "3;ext=\"v\"\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: x\r\n\r\nNEXT",
    "1\r\na\r\n1 ;e\r\nb\r\n000\r\n\r\n",
    "5\r\nhello\r\n3\r\nab",      // ends early
    "5\r\nhelloXX\r\n0\r\n\r\n",  // missing CRLF after data
    "4\r\nabcd\r\n0\r\nbad trailer\r\n\r\n",
};

TEST(ChunkedDecoder, SplitAtEveryOffsetEqualsUnsplit) {
  for (std::string_view body : kBodies) {
    const Decoded whole = decode(body);
    for (size_t cut = 0; cut <= body.size(); ++cut) {
      ChunkedDecoder d;
      const Decoded split = decode(d, {body.substr(0, cut), body.substr(cut)});
      EXPECT_EQ(split.payload, whole.payload) << body << " cut " << cut;
      EXPECT_EQ(split.status, whole.status) << body << " cut " << cut;
      EXPECT_EQ(split.consumed, whole.consumed) << body << " cut " << cut;
    }
  }
}

TEST(ChunkedDecoder, OneByteAtATimeEqualsUnsplit) {
  for (std::string_view body : kBodies) {
    const Decoded whole = decode(body);
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < body.size(); ++i) bytes.push_back(body.substr(i, 1));
    ChunkedDecoder d;
    const Decoded split = decode(d, bytes);
    EXPECT_EQ(split.payload, whole.payload) << body;
    EXPECT_EQ(split.status, whole.status) << body;
    EXPECT_EQ(split.consumed, whole.consumed) << body;
  }
}

}  // namespace
}  // namespace sluice::http
