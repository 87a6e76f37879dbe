#include "sluice/scan/sse_splitter.h"

#include <cstring>

#include "sluice/scan/byte_search.h"

namespace sluice::scan {
namespace {

constexpr char kBom[] = "\xEF\xBB\xBF";
// Scratch kept between events is given back when an event needed more than this.
constexpr size_t kKeptScratchBytes = 64 * 1024;
// More digits than this cannot be a reconnection time; the field is ignored.
constexpr size_t kMaxRetryDigits = 18;

bool starts_with(std::string_view line, std::string_view prefix) {
  return line.size() >= prefix.size() &&
         std::memcmp(line.data(), prefix.data(), prefix.size()) == 0;
}

void release_if_large(std::string& s) {
  if (s.capacity() > kKeptScratchBytes) {
    std::string().swap(s);
  } else {
    s.clear();
  }
}

}  // namespace

void SseSplitter::Joined::append(std::string_view line, bool line_is_transient, size_t cap,
                                 bool& truncated) {
  if (lines_ == 0 && !line_is_transient) {
    if (line.size() > cap) {
      line = line.substr(0, cap);
      truncated = true;
    }
    view_ = line;
    owned_ = false;
    lines_ = 1;
    return;
  }
  if (!owned_) {
    buf_.assign(view_);
    owned_ = true;
  }
  size_t room = cap - buf_.size();
  if (lines_ > 0) {
    if (room == 0) {
      truncated = true;
      ++lines_;
      return;
    }
    buf_.push_back('\n');
    --room;
  }
  if (line.size() > room) {
    line = line.substr(0, room);
    truncated = true;
  }
  buf_.append(line);
  ++lines_;
}

void SseSplitter::Joined::own_if_any() {
  if (owned_ || lines_ == 0) return;
  buf_.assign(view_);
  owned_ = true;
}

void SseSplitter::Joined::clear() {
  if (lines_ == 0 && !owned_) return;
  view_ = {};
  lines_ = 0;
  owned_ = false;
  release_if_large(buf_);
}

SseSplitter::SseSplitter(size_t max_event_bytes)
    : max_event_bytes_(max_event_bytes), max_line_bytes_(max_event_bytes + 8) {}

void SseSplitter::reset() { *this = SseSplitter(max_event_bytes_); }

SseStep SseSplitter::step(std::string_view in) {
  if (finished_) return {in.size(), SseStatus::need_more};
  if (need_clear_) clear_block();
  const uint64_t base = stream_offset_;
  size_t pos = 0;

  if (held_) {
    if (in.empty()) return {0, SseStatus::need_more};
    if (in[0] == '\n') {
      pos = 1;
      ++event_.length;
    }
    held_ = false;
    stream_offset_ = base + pos;
    block_start_ = stream_offset_;
    need_clear_ = true;
    return {pos, SseStatus::event};
  }
  if (!bom_done_) pos = skip_bom(in);
  if (after_cr_ && pos < in.size()) {
    after_cr_ = false;
    if (in[pos] == '\n') {
      // The LF of a CRLF blank line that ended no event is no block's first byte.
      if (block_start_ == base + pos) ++block_start_;
      ++pos;
    }
  }

  const char* const begin = in.data();
  const char* const end = begin + in.size();
  while (pos < in.size()) {
    const char* const line_begin = begin + pos;
    const char* const eol =
        (*line_begin == '\n' || *line_begin == '\r') ? line_begin : find_line_end(line_begin, end);
    if (eol == end) {
      stash_partial_line(std::string_view(line_begin, static_cast<size_t>(end - line_begin)));
      pos = in.size();
      break;
    }
    size_t next = static_cast<size_t>(eol - begin) + 1;
    bool cr_at_span_end = false;
    if (*eol == '\r') {
      if (next == in.size()) {
        cr_at_span_end = true;
      } else if (begin[next] == '\n') {
        ++next;
      }
    }
    std::string_view line(line_begin, static_cast<size_t>(eol - line_begin));

    if (in_partial_) {
      // The rest of a line that began in an earlier span.
      if (!partial_is_comment_) stash_partial_line(line);
      if (!partial_is_comment_) process_line(partial_, /*transient=*/true);
      in_partial_ = false;
      partial_is_comment_ = false;
      release_if_large(partial_);
    } else if (data_.empty() && starts_with(line, "data:")) {
      // The hot case, inline: a block's first data line, kept as a view.
      std::string_view value = line.substr(5);
      if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
      data_.set_first(value, max_event_bytes_, block_truncated_);
    } else if (!line.empty()) {
      process_line(line, /*transient=*/false);
    } else if (cr_at_span_end && (!data_.empty() || !stray_.empty())) {
      // Whether an LF follows decides the event's length: hold the event, in owned
      // storage, until the next byte shows.
      own_pending();
      deliver_block(base + next, /*unterminated=*/false);
      held_ = true;
      stream_offset_ = base + next;
      return {next, SseStatus::need_more};
    } else if (deliver_block(base + next, /*unterminated=*/false)) {
      stream_offset_ = base + next;
      block_start_ = stream_offset_;
      need_clear_ = true;
      return {next, SseStatus::event};
    } else {
      clear_block();
      block_start_ = base + next;
      if (cr_at_span_end) after_cr_ = true;
      pos = next;
      continue;
    }
    if (cr_at_span_end) after_cr_ = true;
    pos = next;
  }
  own_pending();
  stream_offset_ = base + in.size();
  return {in.size(), SseStatus::need_more};
}

bool SseSplitter::finish() {
  if (finished_) return false;
  if (need_clear_) clear_block();
  finished_ = true;
  if (held_) {
    held_ = false;
    block_start_ = stream_offset_;
    need_clear_ = true;
    return true;
  }
  if (!bom_done_ && bom_seen_ > 0) {
    bom_done_ = true;
    stash_partial_line(std::string_view(kBom, bom_seen_));
  }
  if (in_partial_) {
    if (!partial_is_comment_) process_line(partial_, /*transient=*/true);
    in_partial_ = false;
  }
  if (!deliver_block(stream_offset_, /*unterminated=*/true)) return false;
  block_start_ = stream_offset_;
  need_clear_ = true;
  return true;
}

size_t SseSplitter::skip_bom(std::string_view in) {
  size_t i = 0;
  while (!bom_done_ && i < in.size()) {
    if (in[i] == kBom[bom_seen_]) {
      ++i;
      if (++bom_seen_ == 3) bom_done_ = true;
    } else {
      bom_done_ = true;
      // Not a BOM after all: the bytes matched so far start the first line.
      if (bom_seen_ > 0) stash_partial_line(std::string_view(kBom, bom_seen_));
    }
  }
  return i;
}

void SseSplitter::stash_partial_line(std::string_view part) {
  if (!in_partial_) {
    in_partial_ = true;
    partial_is_comment_ = part.front() == ':';
    partial_.clear();
  }
  if (partial_is_comment_) return;
  // Past the cap every field's value is over max_event_bytes, so keeping a prefix gives
  // the same cut event as an unsplit line would.
  const size_t room = max_line_bytes_ - partial_.size();
  partial_.append(part.substr(0, room));
}

void SseSplitter::process_line(std::string_view line, bool transient) {
  // The two lines nearly every event is made of, before the general field parsing.
  if (starts_with(line, "data:")) {
    std::string_view value = line.substr(5);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
    data_.append(value, transient, max_event_bytes_, block_truncated_);
    return;
  }
  if (starts_with(line, "event:")) {
    std::string_view value = line.substr(6);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
    set_type(value, transient);
    return;
  }
  if (line[0] == ':') return;  // comment
  std::string_view name = line;
  std::string_view value;
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    name = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (name == "data") {
    data_.append(value, transient, max_event_bytes_, block_truncated_);
  } else if (name == "event") {
    set_type(value, transient);
  } else if (name == "id") {
    // The spec ignores an id holding NUL; we also ignore one over the cap.
    if (value.find('\0') == std::string_view::npos && value.size() <= max_event_bytes_) {
      last_event_id_.assign(value);
    }
  } else if (name == "retry") {
    if (value.empty() || value.size() > kMaxRetryDigits) return;
    int64_t ms = 0;
    for (char c : value) {
      if (c < '0' || c > '9') return;
      ms = ms * 10 + (c - '0');
    }
    block_retry_ = ms;
    retry_ms_ = ms;
  } else {
    stray_.append(line, transient, max_event_bytes_, block_truncated_);
  }
}

void SseSplitter::set_type(std::string_view value, bool transient) {
  if (value.size() > max_event_bytes_) {
    value = value.substr(0, max_event_bytes_);
    block_truncated_ = true;
  }
  if (transient) {
    type_buf_.assign(value);
    type_owned_ = true;
  } else {
    type_view_ = value;
    type_owned_ = false;
  }
}

bool SseSplitter::deliver_block(uint64_t end_offset, bool unterminated) {
  if (data_.empty() && stray_.empty()) return false;
  event_.type = type_owned_ ? std::string_view(type_buf_) : type_view_;
  event_.data = data_.view();
  event_.id = last_event_id_;
  event_.stray = stray_.view();
  event_.retry = block_retry_;
  event_.offset = block_start_;
  event_.length = end_offset - block_start_;
  event_.has_data = !data_.empty();
  event_.unterminated = unterminated;
  event_.truncated = block_truncated_;
  return true;
}

void SseSplitter::own_pending() {
  data_.own_if_any();
  stray_.own_if_any();
  if (!type_owned_) {
    type_buf_.assign(type_view_);
    type_view_ = {};
    type_owned_ = true;
  }
}

void SseSplitter::clear_block() {
  need_clear_ = false;
  data_.clear();
  stray_.clear();
  type_view_ = {};
  if (type_owned_) {
    type_buf_.clear();
    type_owned_ = false;
  }
  block_truncated_ = false;
  block_retry_ = -1;
}

}  // namespace sluice::scan
