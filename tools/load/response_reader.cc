#include "response_reader.h"

#include <algorithm>

#include "sluice/scan/json_peek.h"

namespace sluice::load {
namespace {

bool contains_ci(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (http::iequals(hay.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

}  // namespace

ResponseReader::ResponseReader() : extractor_(scan::ResponseApi::openai_chat) {}

void ResponseReader::start(scan::ResponseApi api, Histogram* gaps) {
  state_ = State::head;
  api_ = api;
  gaps_ = gaps;
  head_buf_.clear();
  status_ = 0;
  keep_alive_ = true;
  // The splitter is reset only after a stream used it: resetting it costs more than the
  // rest of a small response's bookkeeping.
  if (sse_) splitter_.reset();
  sse_ = false;
  keep_body_ = false;
  error_class_.clear();
  remaining_ = 0;
  leftover_ = 0;
  chunks_.reset();
  extractor_ = scan::UsageExtractor(api);
  body_.clear();
  head_ns_ = first_event_ns_ = first_content_ns_ = last_content_ns_ = 0;
  content_events_ = data_events_ = 0;
}

ResponseReader::Result ResponseReader::feed(std::string_view bytes, uint64_t now_ns) {
  switch (state_) {
    case State::head:
      return parse_head(bytes, now_ns);
    case State::done:
      leftover_ += bytes.size();
      return Result::complete;
    case State::failed:
      return Result::error;
    default:
      return body(bytes, now_ns);
  }
}

ResponseReader::Result ResponseReader::parse_head(std::string_view bytes, uint64_t now_ns) {
  // Parse in place when the head is whole in this receive (the usual case).
  bool buffered = !head_buf_.empty();
  if (buffered) head_buf_.append(bytes);
  std::string_view buf = buffered ? std::string_view(head_buf_) : bytes;
  for (;;) {
    http::RequestParse p = http::parse_response_head(buf, false, kMaxHeadBytes, head_);
    if (p.status == http::ParseStatus::incomplete) {
      if (!buffered) head_buf_.assign(buf);
      return Result::need_more;
    }
    if (p.status == http::ParseStatus::error) {
      state_ = State::failed;
      return Result::error;
    }
    // An interim 1xx answer (100 Continue, 103 Early Hints) precedes the real one.
    if (head_.status >= 100 && head_.status < 200 && head_.status != 101) {
      buf.remove_prefix(head_.head_bytes);
      if (buf.empty()) {
        head_buf_.clear();
        return Result::need_more;
      }
      continue;
    }
    break;
  }
  head_ns_ = now_ns;
  status_ = head_.status;
  keep_alive_ = head_.keep_alive;
  bool success = status_ >= 200 && status_ < 300;
  if (std::string_view c = head_.header("x-sluice-error-class"); !c.empty()) error_class_.assign(c);
  sse_ = success && contains_ci(head_.header("content-type"), "text/event-stream");
  keep_body_ = success && !sse_;
  switch (head_.body) {
    case http::ResponseBody::none:
      state_ = State::done;
      break;
    case http::ResponseBody::content_length:
      remaining_ = head_.content_length;
      state_ = State::length;
      break;
    case http::ResponseBody::chunked:
      state_ = State::chunked;
      break;
    case http::ResponseBody::until_close:
      state_ = State::until_close;
      break;
  }
  std::string_view rest = buf.substr(head_.head_bytes);
  Result r = Result::need_more;
  if (state_ == State::done) {
    leftover_ = rest.size();
    r = finish(now_ns);
  } else if (state_ == State::length && remaining_ == 0) {
    leftover_ = rest.size();
    state_ = State::done;
    r = finish(now_ns);
  } else {
    r = body(rest, now_ns);
  }
  // `rest` may point into head_buf_; it is consumed now.
  head_buf_.clear();
  return r;
}

ResponseReader::Result ResponseReader::body(std::string_view bytes, uint64_t now_ns) {
  switch (state_) {
    case State::length: {
      size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, bytes.size()));
      deliver(bytes.substr(0, n), now_ns);
      remaining_ -= n;
      if (remaining_ > 0) return Result::need_more;
      leftover_ = bytes.size() - n;
      state_ = State::done;
      return finish(now_ns);
    }
    case State::chunked:
      while (!bytes.empty()) {
        http::ChunkStep step = chunks_.step(bytes);
        bytes.remove_prefix(step.consumed);
        if (step.status == http::ChunkStatus::data) {
          deliver(step.data, now_ns);
        } else if (step.status == http::ChunkStatus::done) {
          leftover_ = bytes.size();
          state_ = State::done;
          return finish(now_ns);
        } else if (step.status == http::ChunkStatus::error) {
          state_ = State::failed;
          return Result::error;
        }
      }
      return Result::need_more;
    case State::until_close:
      deliver(bytes, now_ns);
      return Result::need_more;
    case State::done:
      return Result::complete;
    default:
      return Result::error;
  }
}

void ResponseReader::deliver(std::string_view decoded, uint64_t now_ns) {
  if (sse_) {
    while (!decoded.empty()) {
      scan::SseStep step = splitter_.step(decoded);
      decoded.remove_prefix(step.consumed);
      if (step.status == scan::SseStatus::event) {
        on_event(splitter_.event(), now_ns);
      } else {
        break;
      }
    }
  } else if (keep_body_) {
    size_t room = kMaxKeptBody - std::min(kMaxKeptBody, body_.size());
    body_.append(decoded.substr(0, std::min(room, decoded.size())));
  }
}

void ResponseReader::on_event(const scan::SseEvent& event, uint64_t now_ns) {
  scan::EventFacts facts = extractor_.on_event(event);
  if (event.has_data) {
    ++data_events_;
    if (first_event_ns_ == 0) first_event_ns_ = now_ns;
  }
  if (facts.output_chars == 0) return;
  if (first_content_ns_ == 0) {
    first_content_ns_ = now_ns;
  } else if (gaps_ != nullptr) {
    gaps_->record((now_ns - last_content_ns_) / 1000);
  }
  last_content_ns_ = now_ns;
  ++content_events_;
}

ResponseReader::Result ResponseReader::finish(uint64_t now_ns) {
  if (sse_ && splitter_.finish()) on_event(splitter_.event(), now_ns);
  if (keep_body_ && !body_.empty()) read_body_usage();
  return Result::complete;
}

// Every provider puts usage at or near the end of a non-streaming body, so the last usage
// object is found with a cheap scan and only it is parsed: a whole-body DOM parse per
// response would cost more than the rest of the request path together.
void ResponseReader::read_body_usage() {
  const std::string_view key =
      api_ == scan::ResponseApi::gemini ? "\"usageMetadata\"" : "\"usage\"";
  std::string_view body = body_;
  size_t last = scan::json::npos;
  for (size_t at = scan::json::find_object_value(body, key); at != scan::json::npos;
       at = scan::json::find_object_value(body, key, at + 1)) {
    last = at;
  }
  if (last == scan::json::npos) return;
  size_t len = scan::json::container_length(body, last);
  if (len != 0) extractor_.on_usage_object(body.substr(last, len));
}

ResponseReader::Result ResponseReader::end_of_stream(uint64_t now_ns) {
  if (state_ == State::until_close) {
    state_ = State::done;
    return finish(now_ns);
  }
  if (state_ == State::done) return Result::complete;
  state_ = State::failed;
  return Result::error;
}

}  // namespace sluice::load
