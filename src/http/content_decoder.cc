#include "sluice/http/content_decoder.h"

#include <zlib.h>

#include "field_lines.h"

namespace sluice::http {
namespace {

constexpr size_t kWindow = 16 * 1024;

}  // namespace

struct ContentDecoder::Stream {
  z_stream z{};
  bool open = false;
  unsigned char out[kWindow];

  bool init(int window_bits) {
    if (open) inflateEnd(&z);
    z = z_stream{};
    open = inflateInit2(&z, window_bits) == Z_OK;
    return open;
  }
  ~Stream() {
    if (open) inflateEnd(&z);
  }
};

ContentCoding content_coding(std::string_view v) {
  v = detail::trim_ows(v);
  if (v.empty() || iequals(v, "identity")) return ContentCoding::identity;
  if (iequals(v, "gzip") || iequals(v, "x-gzip")) return ContentCoding::gzip;
  if (iequals(v, "deflate")) return ContentCoding::deflate;
  return ContentCoding::unsupported;
}

ContentDecoder::ContentDecoder(ContentCoding coding)
    : z_(std::make_unique<Stream>()), raw_retry_(coding == ContentCoding::deflate) {
  // 15 + 32: a zlib or gzip header, detected. "deflate" is meant to be zlib-wrapped,
  // but servers have sent raw deflate for decades; that is retried below.
  bool known = coding == ContentCoding::gzip || coding == ContentCoding::deflate;
  failed_ = !known || !z_->init(15 + 32);
}

ContentDecoder::~ContentDecoder() = default;

void ContentDecoder::push(std::string_view encoded) { in_ = encoded; }

std::string_view ContentDecoder::next() {
  if (failed_ || ended_ || in_.empty()) return {};
  const std::string_view start = in_;
  const bool at_first_byte = z_->z.total_in == 0;
  int rc = inflate_some();
  if (rc == Z_DATA_ERROR && raw_retry_ && at_first_byte) {
    // No zlib header: raw deflate. Start again from the first byte.
    raw_retry_ = false;
    if (!z_->init(-15)) {
      failed_ = true;
      return {};
    }
    in_ = start;
    rc = inflate_some();
  }
  const size_t made = kWindow - z_->z.avail_out;
  if (rc == Z_STREAM_END) {
    ended_ = true;
  } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
    failed_ = true;
    return {};
  }
  if (made > 0) raw_retry_ = false;
  decoded_ += made;
  if (decoded_ > kMaxDecoded) {
    failed_ = true;
    return {};
  }
  return std::string_view(reinterpret_cast<const char*>(z_->out), made);
}

// One inflate call from in_ into the output window; in_ loses what it consumed.
int ContentDecoder::inflate_some() {
  z_stream& z = z_->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in_.data()));
  z.avail_in = static_cast<uInt>(in_.size());
  z.next_out = z_->out;
  z.avail_out = kWindow;
  int rc = inflate(&z, Z_NO_FLUSH);
  in_.remove_prefix(in_.size() - z.avail_in);
  return rc;
}

}  // namespace sluice::http
