#include "sluice/telemetry/gzip.h"

#include <zlib.h>

namespace sluice::telemetry {

bool gzip_compress(std::string_view data, std::string& out) {
  if (data.size() > (1ull << 31)) return false;
  z_stream z{};
  // 15 window bits, +16: a gzip header and trailer rather than zlib's.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return false;
  out.resize(deflateBound(&z, static_cast<uLong>(data.size())) + 32);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  size_t written = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return false;
  out.resize(written);
  return true;
}

}  // namespace sluice::telemetry
