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
  size_t consumed = 0;    // bytes of the input used by this step
  std::string_view data;  // payload, when status == data
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
  // Between two chunks: a new chunk may be written after the bytes consumed so far.
  bool at_chunk_boundary() const { return state_ == State::size && size_digits_ == 0; }
  // Payload bytes returned so far; lets the caller enforce a body-size limit (413)
  // on chunked bodies, whose length no header announces.
  uint64_t payload_bytes() const { return payload_bytes_; }
  void reset() { *this = ChunkedDecoder(max_line_, max_trailer_); }

 private:
  enum class State : uint8_t {
    size,                // hex digits of chunk-size
    size_ws,             // BWS after the size; only ';' may follow
    size_ext,            // inside chunk-ext, skipped up to CR
    size_lf,             // the LF of the size line
    data,                // `remaining_` payload bytes
    data_cr,             // CRLF after chunk-data
    data_lf,             //
    trailer_line_start,  // CR (end of trailers) or a field name
    trailer_line,        // a trailer field line, up to CR
    trailer_lf,          // the LF of a trailer line
    final_lf,            // the LF of the empty line that ends the message
    finished,
    failed
  };
  ChunkStatus control_byte(char c);
  ChunkStatus size_byte(char c);
  ChunkStatus trailer_byte(char c);

  State state_ = State::size;
  bool trailer_value_ = false;  // in a trailer line, past the ':'
  uint64_t remaining_ = 0;      // payload bytes left in the current chunk
  uint64_t payload_bytes_ = 0;
  size_t size_digits_ = 0;
  size_t line_bytes_ = 0;
  size_t trailer_bytes_ = 0;
  size_t max_line_;
  size_t max_trailer_;
};

}  // namespace sluice::http
