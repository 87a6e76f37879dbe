#include "sluice/http/chunked_decoder.h"

#include <algorithm>

#include "char_class.h"

namespace sluice::http {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  const char lower = static_cast<char>(c | 0x20);
  if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10;
  return -1;
}

}  // namespace

// chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF, where chunk-size = 1*HEXDIG
// and chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ) (RFC 9112 7.1).
// Whitespace is accepted after the size only when an extension follows: "5 \r\n" is
// refused, since parsers disagree on it and that disagreement is a smuggling vector.
ChunkStatus ChunkedDecoder::size_byte(char c) {
  if (++line_bytes_ > max_line_) return ChunkStatus::error;
  switch (state_) {
    case State::size: {
      const int digit = hex_value(c);
      if (digit >= 0) {
        if (remaining_ > (UINT64_MAX >> 4)) return ChunkStatus::error;  // overflow
        remaining_ = (remaining_ << 4) | static_cast<uint64_t>(digit);
        ++size_digits_;
        return ChunkStatus::need_more;
      }
      if (size_digits_ == 0) return ChunkStatus::error;
      if (c == '\r')
        state_ = State::size_lf;
      else if (c == ';')
        state_ = State::size_ext;
      else if (detail::is_ows(c))
        state_ = State::size_ws;
      else
        return ChunkStatus::error;
      return ChunkStatus::need_more;
    }
    case State::size_ws:
      if (c == ';')
        state_ = State::size_ext;
      else if (!detail::is_ows(c))
        return ChunkStatus::error;
      return ChunkStatus::need_more;
    case State::size_ext:
      // Extensions are skipped, but a CTL in one (bare LF above all) is refused.
      if (c == '\r')
        state_ = State::size_lf;
      else if (detail::is_ctl(c) && c != '\t')
        return ChunkStatus::error;
      return ChunkStatus::need_more;
    default:  // State::size_lf
      if (c != '\n') return ChunkStatus::error;
      state_ = remaining_ == 0 ? State::trailer_line_start : State::data;
      size_digits_ = 0;
      line_bytes_ = 0;
      return ChunkStatus::need_more;
  }
}

// trailer-section = *( field-line CRLF ) CRLF, checked like header fields.
ChunkStatus ChunkedDecoder::trailer_byte(char c) {
  if (++trailer_bytes_ > max_trailer_) return ChunkStatus::error;
  switch (state_) {
    case State::trailer_line_start:
      if (c == '\r')
        state_ = State::final_lf;
      else if (detail::kTchar[c])
        state_ = State::trailer_line;
      else
        return ChunkStatus::error;  // obs-fold, empty name, junk
      trailer_value_ = false;
      return ChunkStatus::need_more;
    case State::trailer_line:
      if (!trailer_value_) {
        if (c == ':')
          trailer_value_ = true;
        else if (!detail::kTchar[c])
          return ChunkStatus::error;
      } else if (c == '\r') {
        state_ = State::trailer_lf;
      } else if (detail::is_ctl(c) && c != '\t') {
        return ChunkStatus::error;
      }
      return ChunkStatus::need_more;
    case State::trailer_lf:
      if (c != '\n') return ChunkStatus::error;
      state_ = State::trailer_line_start;
      return ChunkStatus::need_more;
    default:  // State::final_lf
      if (c != '\n') return ChunkStatus::error;
      state_ = State::finished;
      return ChunkStatus::done;
  }
}

ChunkStatus ChunkedDecoder::control_byte(char c) {
  switch (state_) {
    case State::size:
    case State::size_ws:
    case State::size_ext:
    case State::size_lf:
      return size_byte(c);
    case State::data_cr:
      if (c != '\r') return ChunkStatus::error;
      state_ = State::data_lf;
      return ChunkStatus::need_more;
    case State::data_lf:
      if (c != '\n') return ChunkStatus::error;
      state_ = State::size;
      return ChunkStatus::need_more;
    default:
      return trailer_byte(c);
  }
}

ChunkStep ChunkedDecoder::step(std::string_view in) {
  if (state_ == State::finished) return {0, {}, ChunkStatus::done};
  if (state_ == State::failed) return {0, {}, ChunkStatus::error};
  size_t i = 0;
  while (i < in.size()) {
    if (state_ == State::data) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size() - i));
      remaining_ -= n;
      payload_bytes_ += n;
      if (remaining_ == 0) state_ = State::data_cr;
      return {i + n, in.substr(i, n), ChunkStatus::data};
    }
    const ChunkStatus s = control_byte(in[i++]);
    if (s == ChunkStatus::error) {
      state_ = State::failed;
      return {i, {}, ChunkStatus::error};
    }
    if (s == ChunkStatus::done) return {i, {}, ChunkStatus::done};
  }
  return {i, {}, ChunkStatus::need_more};
}

}  // namespace sluice::http
