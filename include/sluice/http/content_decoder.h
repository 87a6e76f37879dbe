#pragma once
// Incremental decoder of the gzip and deflate content codings (RFC 9110 8.4.1), for
// reading a response body a provider compressed although sluice asked it for identity.
// The relay still sends the client the bytes as received; only readers of the body
// (the usage scanner) see the decoded bytes. Memory is one fixed output window: decoded
// bytes come out in pieces as the caller pulls them.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace sluice::http {

enum class ContentCoding : uint8_t {
  identity,     // no Content-Encoding, or "identity"
  gzip,         // "gzip" or "x-gzip"
  deflate,      // "deflate": the zlib format, or raw deflate as some servers send it
  unsupported,  // anything else ("br", "zstd", a list of several codings)
};

// The coding of a Content-Encoding field value (case-insensitive, spaces ignored).
ContentCoding content_coding(std::string_view field_value);

class ContentDecoder {
 public:
  // Decoding stops with an error past this many decoded bytes (a decompression bomb).
  static constexpr uint64_t kMaxDecoded = uint64_t{1} << 30;

  explicit ContentDecoder(ContentCoding coding);  // gzip or deflate
  ~ContentDecoder();
  ContentDecoder(const ContentDecoder&) = delete;
  ContentDecoder& operator=(const ContentDecoder&) = delete;

  // Gives the next encoded bytes; they must stay valid until next() returns empty.
  void push(std::string_view encoded);
  // The next piece of decoded bytes (valid until the next call), or empty when the
  // pushed bytes are used up, the stream ended, or it failed.
  std::string_view next();
  bool failed() const { return failed_; }
  bool ended() const { return ended_; }

 private:
  struct Stream;
  int inflate_some();

  std::unique_ptr<Stream> z_;
  std::string_view in_;
  bool raw_retry_;  // deflate: not yet known whether zlib-wrapped or raw
  bool failed_ = false;
  bool ended_ = false;
  uint64_t decoded_ = 0;
};

}  // namespace sluice::http
