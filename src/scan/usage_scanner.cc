#include "sluice/scan/usage_scanner.h"

#include "sluice/scan/json_peek.h"

namespace sluice::scan {
namespace {

// How much of an over-cap body is kept: a usage object is a few hundred bytes.
constexpr size_t kBodyTailBytes = 64 * 1024;

}  // namespace

UsageScanner::UsageScanner(ResponseApi api, bool streaming, ScanLimits limits)
    : streaming_(streaming),
      max_body_bytes_(limits.max_body_bytes),
      splitter_(limits.max_event_bytes),
      extractor_(api) {}

void UsageScanner::feed(std::string_view decoded) {
  if (finished_) return;
  bytes_fed_ += decoded.size();
  if (!streaming_) {
    if (expected_body_ != 0 && bytes_fed_ == decoded.size() && decoded.size() == expected_body_ &&
        decoded.size() <= max_body_bytes_) {
      read_whole_ = true;
      extractor_.on_body(decoded);
      if (tap_) tap_->on_body(decoded);
      return;
    }
    feed_body(decoded);
    return;
  }
  for (;;) {
    const SseStep step = splitter_.step(decoded);
    decoded.remove_prefix(step.consumed);
    if (step.status == SseStatus::need_more) return;
    on_event(splitter_.event());
  }
}

void UsageScanner::finish() {
  if (finished_) return;
  finished_ = true;
  if (!streaming_) {
    finish_body();
    return;
  }
  if (splitter_.finish()) on_event(splitter_.event());
}

void UsageScanner::finish_parsed(std::string_view body, const rapidjson::Value& root) {
  if (finished_) return;
  finished_ = true;
  bytes_fed_ += body.size();
  extractor_.on_parsed_body(root);
  if (tap_) tap_->on_body(body);
}

StreamOutcome UsageScanner::outcome() const {
  if (extractor_.saw_error()) return StreamOutcome::error;
  if (extractor_.saw_terminal()) return StreamOutcome::complete;
  // An over-cap body whose usage was found in its tail ended as bodies end: with usage.
  if (body_over_cap_ && finished_ && extractor_.usage().found) return StreamOutcome::complete;
  return StreamOutcome::cut_off;
}

uint64_t UsageScanner::settled_offset() const {
  return streaming_ ? splitter_.settled_offset() : 0;
}

void UsageScanner::on_event(const SseEvent& event) {
  ++events_;
  truncated_ = truncated_ || event.truncated;
  const EventFacts facts = extractor_.on_event(event);
  if (facts.usage_only_chunk) usage_only_chunks_.push_back({event.offset, event.length});
  if (tap_) tap_->on_event(event);
}

void UsageScanner::feed_body(std::string_view decoded) {
  if (!body_over_cap_ && body_.size() + decoded.size() <= max_body_bytes_) {
    body_.append(decoded);
    return;
  }
  body_over_cap_ = true;
  truncated_ = true;
  body_.append(decoded);
  // Keep between one and two tails, so trimming costs O(1) per byte.
  if (body_.size() > 2 * kBodyTailBytes) body_.erase(0, body_.size() - kBodyTailBytes);
}

void UsageScanner::finish_body() {
  if (read_whole_) return;
  if (!body_over_cap_) {
    extractor_.on_body(body_);  // not JSON (cut off): no usage, outcome cut_off
    if (tap_) tap_->on_body(body_);
    std::string().swap(body_);
    return;
  }
  // Only a tail is left: the last usage object in it is the response's.
  const std::string_view key =
      extractor_.api() == ResponseApi::gemini ? "\"usageMetadata\"" : "\"usage\"";
  const std::string_view tail = body_;
  size_t last = json::npos;
  for (size_t at = json::find_object_value(tail, key); at != json::npos;
       at = json::find_object_value(tail, key, at)) {
    last = at;
  }
  if (last != json::npos) {
    const size_t len = json::container_length(tail, last);
    if (len != 0) extractor_.on_usage_object(tail.substr(last, len));
  }
  std::string().swap(body_);
}

}  // namespace sluice::scan
