#pragma once
// The relay's scan of one response body: decoded body bytes in (after chunked decoding),
// usage, outcome and output size out. The relay forwards the same bytes to the client
// unchanged; this reads them in place, as spans of any split.
//
// Streams go through SseSplitter then UsageExtractor, event by event, copying nothing
// but what straddles spans. Non-streaming bodies are kept (up to max_body_bytes) and parsed
// once at finish(); past the cap only a tail is kept and the usage object is looked for in
// it (providers put usage at or near the end: OpenAI, Anthropic, Gemini and Responses
// bodies all do), which is marked truncated().
//
// For a client that did not ask for usage on an OpenAI chat stream the gateway sets
// stream_options.include_usage itself; usage_only_chunks() then gives the byte extents of
// the chunk(s) the client must not see, and settled_offset() how far the relay may forward
// without waiting to learn whether bytes belong to such a chunk.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/scan/sse_splitter.h"
#include "sluice/scan/usage.h"
#include "sluice/scan/usage_extractor.h"

namespace sluice::scan {

// Bytes [offset, offset + length) of the decoded body.
struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;

  bool operator==(const ByteRange&) const = default;
};

struct ScanLimits {
  size_t max_event_bytes = SseSplitter::kDefaultMaxEventBytes;  // scratch for one SSE event
  size_t max_body_bytes = size_t{32} << 20;  // a non-streaming body kept whole for parsing
};

// Sees what the scanner reads, for readers other than usage (the prompt and completion
// text a span may carry). Without one the scanner pays a null check per event.
class ScanTap {
 public:
  virtual void on_event(const SseEvent& event) = 0;  // a streamed event, in order
  virtual void on_body(std::string_view body) = 0;   // a whole non-streaming body (under cap)

 protected:
  ~ScanTap() = default;
};

class UsageScanner {
 public:
  UsageScanner(ResponseApi api, bool streaming, ScanLimits limits = {});

  // `tap` (may be null) must outlive the scanner's last feed() or finish().
  void set_tap(ScanTap* tap) { tap_ = tap; }

  void feed(std::string_view decoded);
  // Non-streaming: the body's length from its head (Content-Length, identity coding). A
  // body that then arrives in one piece is read where it lies, with no copy.
  void expect_body_bytes(uint64_t n) { expected_body_ = n; }
  // End of body. Usage and outcome are final after it.
  void finish();
  // Instead of feed() and finish() for a non-streaming body: the whole `body`, already
  // parsed into `root` by its reader (a translated answer), is read with no second parse.
  void finish_parsed(std::string_view body, const rapidjson::Value& root);

  const Usage& usage() const { return extractor_.usage(); }
  // Before finish(), a body that has not shown its end yet reads cut_off.
  StreamOutcome outcome() const;
  std::string_view error_type() const { return extractor_.error_type(); }
  uint64_t output_chars() const { return extractor_.output_chars(); }

  // OpenAI chat streams: extents of the usage-only chunks ("choices": [] with usage), each
  // from its block's first byte through its blank line, in stream order.
  const std::vector<ByteRange>& usage_only_chunks() const { return usage_only_chunks_; }
  // Streams: every byte before this offset belongs to an event already scanned, or to no
  // event; later bytes may still turn out to be a usage-only chunk.
  uint64_t settled_offset() const;
  uint64_t bytes_fed() const { return bytes_fed_; }
  uint64_t events() const { return events_; }
  // Some event or the body was longer than its cap, so part of it was not read.
  bool truncated() const { return truncated_; }

 private:
  void on_event(const SseEvent& event);
  void feed_body(std::string_view decoded);
  void finish_body();

  bool streaming_;
  size_t max_body_bytes_;
  SseSplitter splitter_;
  UsageExtractor extractor_;
  std::vector<ByteRange> usage_only_chunks_;
  std::string body_;  // non-streaming: the body, or its tail once over the cap
  bool body_over_cap_ = false;
  bool read_whole_ = false;     // the whole body came in one piece and was read in place
  uint64_t expected_body_ = 0;  // 0: not known
  bool finished_ = false;
  bool truncated_ = false;
  uint64_t bytes_fed_ = 0;
  uint64_t events_ = 0;
  ScanTap* tap_ = nullptr;
};

}  // namespace sluice::scan
