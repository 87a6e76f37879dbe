// gzip framing of export bodies, read back with the relay's own decoder and checked
// byte by byte against RFC 1952's header and trailer.
#include "sluice/telemetry/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "sluice/http/content_decoder.h"

namespace sluice::telemetry {
namespace {

std::string gunzip(std::string_view gz) {
  http::ContentDecoder d(http::ContentCoding::gzip);
  d.push(gz);
  std::string out;
  for (std::string_view p = d.next(); !p.empty(); p = d.next()) out.append(p);
  EXPECT_FALSE(d.failed());
  return out;
}

uint32_t le32(std::string_view s, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(s[at + i]);
  return v;
}

TEST(Gzip, OneMemberWithHeaderCrcAndLength) {
  std::string body = R"({"resourceSpans":[)";
  for (int i = 0; i < 200; ++i) body += R"({"key":"gen_ai.usage.input_tokens"},)";
  body += "]}";
  std::string gz;
  ASSERT_TRUE(gzip_compress(body, gz));
  ASSERT_GE(gz.size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);  // ID1
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);  // ID2
  EXPECT_EQ(gz[2], 8);                                 // CM: deflate
  // ISIZE and CRC32 of the trailer.
  EXPECT_EQ(le32(gz, gz.size() - 4), body.size());
  EXPECT_EQ(le32(gz, gz.size() - 8),
            crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
  EXPECT_LT(gz.size(), body.size() / 4);  // repetitive JSON compresses
  EXPECT_EQ(gunzip(gz), body);
}

TEST(Gzip, EmptyAndBinaryBodiesRoundTrip) {
  std::string gz;
  ASSERT_TRUE(gzip_compress("", gz));
  EXPECT_EQ(le32(gz, gz.size() - 4), 0u);
  EXPECT_EQ(gunzip(gz), "");
  std::string bin;
  for (int i = 0; i < 70000; ++i) bin += static_cast<char>((i * 7919) & 0xff);
  ASSERT_TRUE(gzip_compress(bin, gz));
  EXPECT_EQ(gunzip(gz), bin);
}

}  // namespace
}  // namespace sluice::telemetry
