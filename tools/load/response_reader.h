#pragma once
// Reads one HTTP/1.1 response as it arrives in pieces of any split, and times it: the
// head (status, keep-alive, x-sluice-error-class), the body framing (Content-Length,
// chunked, or until close), and, for a 2xx event stream, each server-sent event through
// the gateway's own scanners (SseSplitter, UsageExtractor). Nothing is copied but a head
// split across receives and a non-streaming 2xx body kept for its usage object (found by a
// scan, and the only part parsed).
//
// An event "carries content" when the extractor saw output text in it (a chat delta, a
// text_delta, a Gemini part): time to first token is measured to the first such event,
// and inter-chunk gaps between consecutive ones. Role-only chunks, pings and usage
// chunks are not tokens and are not timed.

#include <cstdint>
#include <string>
#include <string_view>

#include "histogram.h"
#include "sluice/http/chunked_decoder.h"
#include "sluice/http/response_parser.h"
#include "sluice/scan/sse_splitter.h"
#include "sluice/scan/usage_extractor.h"

namespace sluice::load {

class ResponseReader {
 public:
  enum class Result : uint8_t { need_more, complete, error };
  static constexpr size_t kMaxHeadBytes = 64 * 1024;
  static constexpr size_t kMaxKeptBody = 1 << 20;  // non-streaming body kept for its usage

  ResponseReader();

  // Prepares for the response to a request of `api`. `gaps` gets the inter-chunk gaps
  // in microseconds as they happen (null: not measured).
  void start(scan::ResponseApi api, Histogram* gaps);
  // Bytes received at `now_ns`. After `complete`, leftover() says how many trailing
  // bytes were not part of the response.
  Result feed(std::string_view bytes, uint64_t now_ns);
  // The server closed the connection: completes a body delimited by the close.
  Result end_of_stream(uint64_t now_ns);

  bool head_done() const { return state_ != State::head; }
  int status() const { return status_; }
  bool keep_alive() const { return keep_alive_; }
  bool event_stream() const { return sse_; }
  std::string_view error_class() const { return error_class_; }
  size_t leftover() const { return leftover_; }
  uint64_t head_ns() const { return head_ns_; }
  uint64_t first_content_ns() const { return first_content_ns_; }
  uint64_t last_content_ns() const { return last_content_ns_; }
  uint64_t first_event_ns() const { return first_event_ns_; }
  uint64_t content_events() const { return content_events_; }
  uint64_t data_events() const { return data_events_; }
  const scan::Usage& usage() const { return extractor_.usage(); }
  bool stream_error() const { return extractor_.saw_error(); }

 private:
  enum class State : uint8_t { head, length, chunked, until_close, done, failed };
  Result parse_head(std::string_view bytes, uint64_t now_ns);
  Result body(std::string_view bytes, uint64_t now_ns);
  void deliver(std::string_view decoded, uint64_t now_ns);
  void on_event(const scan::SseEvent& event, uint64_t now_ns);
  Result finish(uint64_t now_ns);
  void read_body_usage();

  State state_ = State::head;
  scan::ResponseApi api_ = scan::ResponseApi::openai_chat;
  Histogram* gaps_ = nullptr;
  std::string head_buf_;  // a head that straddles receives
  http::ResponseHead head_;
  int status_ = 0;
  bool keep_alive_ = true;
  bool sse_ = false;
  bool keep_body_ = false;
  std::string error_class_;
  uint64_t remaining_ = 0;  // Content-Length bytes still due
  size_t leftover_ = 0;
  http::ChunkedDecoder chunks_;
  scan::SseSplitter splitter_;
  scan::UsageExtractor extractor_;
  std::string body_;
  uint64_t head_ns_ = 0;
  uint64_t first_event_ns_ = 0;
  uint64_t first_content_ns_ = 0;
  uint64_t last_content_ns_ = 0;
  uint64_t content_events_ = 0;
  uint64_t data_events_ = 0;
};

}  // namespace sluice::load
