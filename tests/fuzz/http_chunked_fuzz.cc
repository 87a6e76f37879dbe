// Fuzzes the chunked decoder: decoding the input whole, split in two at a point the
// fuzzer picks (the first two bytes), and one byte at a time must give the same
// payload, the same final status and the same number of bytes consumed.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sluice/http/chunked_decoder.h"

using namespace sluice::http;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

struct Result {
  std::string payload;
  ChunkStatus status = ChunkStatus::need_more;
  size_t consumed = 0;
};

// Feeds `in` to `d`, appending to `r`; true when the decoder has stopped.
bool feed(ChunkedDecoder& d, std::string_view in, Result& r) {
  while (true) {
    const ChunkStep s = d.step(in);
    check(s.consumed <= in.size());
    r.consumed += s.consumed;
    if (s.status == ChunkStatus::data) {
      check(!s.data.empty());
      check(s.data.data() >= in.data() && s.data.data() + s.data.size() <= in.data() + s.consumed);
      r.payload.append(s.data);
      in.remove_prefix(s.consumed);
      continue;
    }
    r.status = s.status;
    if (s.status == ChunkStatus::need_more) {
      check(s.consumed == in.size());
      return false;
    }
    return true;
  }
}

void check_same(const Result& a, const Result& b) {
  check(a.payload == b.payload && a.status == b.status && a.consumed == b.consumed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t choice = data[0] | (static_cast<size_t>(data[1]) << 8);
  const std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
  const size_t cut = choice % (body.size() + 1);

  Result whole;
  ChunkedDecoder a(64, 256);
  feed(a, body, whole);
  check(a.payload_bytes() == whole.payload.size());
  check(a.finished() == (whole.status == ChunkStatus::done));

  Result split;
  ChunkedDecoder b(64, 256);
  if (!feed(b, body.substr(0, cut), split)) feed(b, body.substr(cut), split);
  check_same(whole, split);

  Result bytes;
  ChunkedDecoder c(64, 256);
  for (size_t i = 0; i < body.size(); ++i) {
    if (feed(c, body.substr(i, 1), bytes)) break;
  }
  check_same(whole, bytes);
  return 0;
}
