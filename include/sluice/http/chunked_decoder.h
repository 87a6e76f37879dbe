#pragma once
// Incremental decoder of the chunked transfer coding (RFC 9112 7.1). It never
// copies: each step returns a view of payload bytes inside the input. Feed it the
// bytes of any buffer split; its state carries across calls.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice::http {

enum class ChunkStatus : uint8_t {
  data,       // `data` holds payload bytes (a view into the input)
  need_more,  // all input consumed; give the next buffer
  done,       // last-chunk and trailer section consumed; `consumed` ends the message
  error,      // malformed chunk-size line, missing CRLF, size overflow, bad trailer
};

struct ChunkStep {
  size_t consumed = 0;     // bytes of the input used by this step
  std::string_view data;   // payload, when status == data
  ChunkStatus status = ChunkStatus::need_more;
};

class ChunkedDecoder {
 public:
  // Chunk extensions are accepted and skipped. A size line longer than
  // `max_line` bytes, or a trailer section over `max_trailer` bytes, is an error.
  explicit ChunkedDecoder(size_t max_line = 4096, size_t max_trailer = 16384)
      : max_line_(max_line), max_trailer_(max_trailer) {}

  // Consumes a prefix of `in`. Call again with `in.substr(step.consumed)` until
  // need_more, done or error.
  ChunkStep step(std::string_view in);

  bool finished() const { return state_ == State::finished; }
  void reset() { *this = ChunkedDecoder(max_line_, max_trailer_); }

 private:
  enum class State : uint8_t {
    size, size_ext, size_lf, data, data_cr, data_lf, trailer_line_start, trailer_line,
    trailer_lf, final_lf, finished, failed
  };
  State state_ = State::size;
  uint64_t remaining_ = 0;  // payload bytes left in the current chunk
  size_t size_digits_ = 0;
  size_t line_bytes_ = 0;
  size_t trailer_bytes_ = 0;
  size_t max_line_;
  size_t max_trailer_;
};

}  // namespace sluice::http
