#include "sluice/http/content_decoder.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace sluice::http {
namespace {

// `window_bits` as deflateInit2 takes them: 31 gzip, 15 zlib, -15 raw deflate.
std::string compress(const std::string& plain, int window_bits) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, plain.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Decodes `encoded` pushed in pieces of `split` bytes.
std::string decode(ContentDecoder& d, const std::string& encoded, size_t split) {
  std::string out;
  for (size_t at = 0; at < encoded.size(); at += split) {
    d.push(std::string_view(encoded).substr(at, split));
    for (std::string_view piece = d.next(); !piece.empty(); piece = d.next()) out.append(piece);
  }
  return out;
}

std::string sample() {
  std::string s;
  for (int i = 0; i < 3000; ++i)
    s += "data: {\"choices\":[{\"delta\":{\"content\":\"tok" + std::to_string(i) + "\"}}]}\n\n";
  return s + "data: {\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":1000}}\n\n";
}

TEST(ContentCoding, NamesAreCaseInsensitive) {
  EXPECT_EQ(content_coding(""), ContentCoding::identity);
  EXPECT_EQ(content_coding("Identity"), ContentCoding::identity);
  EXPECT_EQ(content_coding(" GZIP "), ContentCoding::gzip);
  EXPECT_EQ(content_coding("x-gzip"), ContentCoding::gzip);
  EXPECT_EQ(content_coding("Deflate"), ContentCoding::deflate);
  EXPECT_EQ(content_coding("br"), ContentCoding::unsupported);
  EXPECT_EQ(content_coding("gzip, br"), ContentCoding::unsupported);
}

TEST(ContentDecoder, GzipDecodesWhateverTheSplit) {
  const std::string plain = sample();
  const std::string gz = compress(plain, 31);
  for (size_t split : {size_t{1}, size_t{7}, size_t{4096}, gz.size()}) {
    ContentDecoder d(ContentCoding::gzip);
    EXPECT_EQ(decode(d, gz, split), plain) << split;
    EXPECT_TRUE(d.ended());
    EXPECT_FALSE(d.failed());
  }
}

TEST(ContentDecoder, DeflateDecodesZlibWrappedAndRaw) {
  const std::string plain = sample();
  ContentDecoder wrapped(ContentCoding::deflate);
  EXPECT_EQ(decode(wrapped, compress(plain, 15), 512), plain);
  ContentDecoder raw(ContentCoding::deflate);
  EXPECT_EQ(decode(raw, compress(plain, -15), 512), plain);
  EXPECT_FALSE(raw.failed());
}

TEST(ContentDecoder, GarbageFailsAndThenYieldsNothing) {
  ContentDecoder d(ContentCoding::gzip);
  EXPECT_EQ(decode(d, "this is not gzip at all", 4), "");
  EXPECT_TRUE(d.failed());
}

TEST(ContentDecoder, UnsupportedCodingFailsAtOnce) {
  ContentDecoder d(ContentCoding::unsupported);
  EXPECT_TRUE(d.failed());
  d.push("abc");
  EXPECT_TRUE(d.next().empty());
}

}  // namespace
}  // namespace sluice::http
