#pragma once
// Server-sent events split out of a decoded response body, by the WHATWG EventSource
// parsing rules (HTML "Server-sent events", 9.2.6), fed as spans of any split.
//
// Zero copy: an event that lies wholly inside one span is delivered as views into that
// span. Bytes are copied into owned scratch only when they must outlive the span they came
// in (a line, or an unfinished event, that straddles two spans) or must be joined (several
// data lines). Scratch is bounded by `max_event_bytes`; past it the event is cut and marked
// truncated, whatever the split, so the same stream always yields the same events.
//
// Where we leave the WHATWG rules, for accounting:
// - A last event with no blank line after it is discarded by the spec. `finish()` delivers
//   it marked `unterminated`, because a stream cut off mid-event may still carry usage.
// - Lines that are neither a comment nor a field we know (`event`, `data`, `id`, `retry`)
//   are ignored by the spec. We keep them as `stray` text, because Gemini sends a mid-stream
//   error as a bare `{"error": ...}` line with no `data:` prefix
//   (fixture gemini_stream_midstream_error_sdk.sse). A block holding only stray lines is
//   delivered with `has_data == false`; a strict EventSource consumer skips it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::scan {

struct SseEvent {
  std::string_view type;      // `event:` value; empty when none (an EventSource reads "message")
  std::string_view data;      // `data:` values joined with '\n' (the spec's final '\n' removed)
  std::string_view id;        // the last event ID: it persists across events, as the spec says
  std::string_view stray;     // unknown lines of this block, whole, joined with '\n'
  int64_t retry = -1;         // `retry:` set in this block (ms), or -1
  uint64_t offset = 0;        // stream offset of the block's first byte (comments included)
  uint64_t length = 0;        // bytes from `offset` through the blank line's line end
  bool has_data = false;      // at least one data line: an event the spec would dispatch
  bool unterminated = false;  // delivered by finish(): the stream ended before a blank line
  bool truncated = false;     // data, stray or type longer than max_event_bytes, and cut
};

enum class SseStatus : uint8_t {
  event,      // event() holds the next event
  need_more,  // the whole input was consumed; give the next span
};

struct SseStep {
  size_t consumed = 0;  // bytes of the input used by this step
  SseStatus status = SseStatus::need_more;
};

class SseSplitter {
 public:
  static constexpr size_t kDefaultMaxEventBytes = size_t{1} << 20;

  explicit SseSplitter(size_t max_event_bytes = kDefaultMaxEventBytes);

  // Consumes a prefix of `in`. After `event`, call again with `in.substr(step.consumed)`;
  // after `need_more`, with the next span. The event's views stay valid until the next
  // call and while `in` is alive. An event whose blank line ends in a CR that is the last
  // byte of a span is held until the next byte shows whether an LF belongs to it, so that
  // every split reports the same byte extents.
  SseStep step(std::string_view in);

  // End of stream: delivers a held event, or the unfinished last one marked unterminated
  // (its last line counts as ended). Returns whether event() holds one; a second call
  // returns false. Call reset() to parse another stream.
  bool finish();

  const SseEvent& event() const { return event_; }

  uint64_t bytes_consumed() const { return stream_offset_; }
  // Bytes before this offset belong to events already delivered or to blocks that
  // were no event; the relay can forward them knowing nothing before it will be hidden.
  uint64_t settled_offset() const { return block_start_; }
  // The stream's reconnection time from its last valid `retry:` field, or -1.
  int64_t retry_ms() const { return retry_ms_; }

  void reset();

 private:
  // Lines of one field joined with '\n': a view into the input while there is one line
  // that the caller's span still holds, an owned copy otherwise.
  class Joined {
   public:
    void append(std::string_view line, bool line_is_transient, size_t cap, bool& truncated);
    // The first line, from the caller's span (lines_ == 0).
    void set_first(std::string_view line, size_t cap, bool& truncated) {
      if (line.size() > cap) {
        line = line.substr(0, cap);
        truncated = true;
      }
      view_ = line;
      lines_ = 1;
    }
    void own_if_any();  // copy a view into owned storage before its span goes away
    std::string_view view() const { return owned_ ? std::string_view(buf_) : view_; }
    bool empty() const { return lines_ == 0; }
    void clear();

   private:
    std::string_view view_;
    std::string buf_;
    size_t lines_ = 0;
    bool owned_ = false;
  };

  void process_line(std::string_view line, bool transient);
  void set_type(std::string_view value, bool transient);
  bool deliver_block(uint64_t end_offset, bool unterminated);
  void clear_block();
  void own_pending();
  void stash_partial_line(std::string_view part);
  size_t skip_bom(std::string_view in);

  size_t max_event_bytes_;
  size_t max_line_bytes_;  // raw-line cap: a value may follow a field name of up to 8 bytes

  // Stream position.
  uint64_t stream_offset_ = 0;  // bytes consumed so far
  uint64_t block_start_ = 0;    // offset of the first byte of the block being read
  uint8_t bom_seen_ = 0;        // leading bytes matched against a UTF-8 BOM
  bool bom_done_ = false;
  bool after_cr_ = false;  // the last line ended in a CR at a span's end: skip one LF
  bool held_ = false;      // event_ is complete; waiting for the byte after its final CR
  bool finished_ = false;
  bool need_clear_ = false;  // event_ was handed out; its storage is reused on the next call

  // A line that straddles spans.
  std::string partial_;
  bool in_partial_ = false;
  bool partial_is_comment_ = false;  // a comment is skipped, not kept

  // The block (event) being read.
  Joined data_;
  Joined stray_;
  std::string_view type_view_;
  std::string type_buf_;
  bool type_owned_ = false;
  bool block_truncated_ = false;
  int64_t block_retry_ = -1;

  std::string last_event_id_;
  int64_t retry_ms_ = -1;
  SseEvent event_;
};

}  // namespace sluice::scan
