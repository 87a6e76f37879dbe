#include "sluice/relay/proxy_exchange.h"

#include <charconv>
#include <cstdio>
#include <cstring>

#include "sluice/core/append_number.h"
#include "sluice/core/clock.h"
#include "sluice/core/log.h"
#include "sluice/net/http_status.h"
#include "sluice/relay/request_id.h"
#include "sluice/telemetry/genai_content.h"

namespace sluice::relay {

ProxyExchange* ProxyExchange::start(net::Exchange& ex, upstream::UpstreamPool& pool,
                                    UpstreamRequest&& req, ExchangeSink* sink) {
  auto* p = new ProxyExchange(ex, pool, std::move(req), sink);
  p->req_.info.dispatch_ns = core::mono_ns();  // a real reading: the loop clock is per turn
  ex.set_observer(p);
  p->total_timer_.arm(p->loop_.timers(),
                      ex.started_ns() + uint64_t{p->req_.timeouts.total_ms} * 1000000ull, p,
                      kTotal);
  if (ShardResilience* res = p->req_.resilience)
    res->budget(p->req_.provider).on_request(core::mono_ns() / 1000000ull);
  p->attempt();
  return p;
}

ProxyExchange::ProxyExchange(net::Exchange& ex, upstream::UpstreamPool& pool, UpstreamRequest&& req,
                             ExchangeSink* sink)
    : ex_(&ex), loop_(ex.server().io.loop), pool_(pool), req_(std::move(req)), sink_(sink) {}

void ProxyExchange::arm(uint32_t ms, int tag) {
  timer_.arm(loop_.timers(), loop_.now_ns() + uint64_t{ms} * 1000000ull, this, tag);
}

void ProxyExchange::on_upstream_ready(upstream::UpstreamConnection&, int err) {
  if (err != 0) {
    std::string why = conn_->tls_failure();
    conn_ = nullptr;  // the pool closes a connection that failed to connect
    if (why.empty())
      after_failure(resilience::FailureClass::connect_failed, route::ErrorClass::upstream_error,
                    std::string("cannot connect to upstream: ") + strerror(-err));
    else
      after_failure(resilience::FailureClass::tls_failed, route::ErrorClass::upstream_error,
                    "TLS handshake with upstream failed: " + why);
    return;
  }
  // The request stays ours until the exchange ends, for one retry on a stale connection:
  // its bytes move into one chunk at the first send, and each later send of the same
  // request (a retry) shares that chunk. A fallback builds new bytes and clears it.
  if (request_slice_.empty()) request_slice_ = core::recycled_slice(std::move(req_.bytes));
  conn_->send(request_slice_);
  arm(req_.timeouts.first_byte_ms, kFirstByte);
}

void ProxyExchange::on_upstream_data(upstream::UpstreamConnection&, core::Slice data) {
  if (ended_) return;
  if (holding_) return hold_body(std::move(data));
  if (!head_done_ && !relay_head(data)) return;
  if (!data.empty() && !ended_) relay_body(std::move(data));
}

// Parses the response head (in place when it fits one buffer) and sends the client's
// head. Leaves in `data` the body bytes that followed the head.
bool ProxyExchange::relay_head(core::Slice& data) {
  std::string_view src = data.view();
  if (!head_buf_.empty()) {
    head_buf_.append(data.view());
    src = head_buf_;
  }
  http::RequestParse r = http::parse_response_head(src, req_.head_method, 65536, head_);
  if (r.status == http::ParseStatus::incomplete) {
    if (head_buf_.empty()) head_buf_.assign(data.view());
    return false;
  }
  if (r.status == http::ParseStatus::error) {
    after_failure(resilience::FailureClass::bad_response, route::ErrorClass::upstream_error,
                  "upstream sent a malformed response");
    return false;
  }
  if (head_.status >= 100 && head_.status < 200) {  // interim response: skip it
    size_t rest = src.size() - head_.head_bytes;
    data = data.sub(data.size() - rest);
    head_buf_.clear();
    head_ = {};
    return !data.empty() && relay_head(data);
  }
  head_done_ = true;
  // OpenAI names it x-request-id, Anthropic request-id.
  std::string_view upstream_id = head_.header("x-request-id");
  if (upstream_id.empty()) upstream_id = head_.header("request-id");
  req_.info.upstream_request_id = sanitize_request_id(upstream_id);
  if (sink_) sink_->on_upstream_head(*this, head_);
  result_.status = head_.status;
  result_.ttfb_ns = loop_.now_ns() - ex_->started_ns();
  // A translated request's error answers are all held: the client gets them rewritten
  // into its own envelope (relay_held), never in the provider's.
  bool translated_error = translating() && (head_.status < 200 || head_.status >= 300);
  if ((req_.resilience && !req_.head_method && resilience::may_retry_status(head_.status)) ||
      translated_error) {
    // Maybe a retryable failure: hold it until its body tells, nothing sent yet.
    size_t rest = src.size() - head_.head_bytes;
    start_holding();
    data = data.sub(data.size() - rest);
    head_buf_.clear();
    if (holding_ && !data.empty()) hold_body(std::move(data));
    return false;
  }
  if (breaker_ && probe_) {  // the provider answered: its probe succeeded
    breaker_->record_success(true);
    probe_ = false;
  }
  relayed_ = true;
  if (head_.status < 400) req_.info.error_class.clear();  // an earlier try's failure was overcome
  // Built in the shard's string kept for it (send_head copies the head out at once).
  std::string& headers = ex_->server().head_lines_scratch;
  headers.clear();
  append_client_head_lines(headers);
  bool has_body = head_.body != http::ResponseBody::none;
  sse_ = head_.header("content-type").find("text/event-stream") != std::string_view::npos;
  if (req_.scan && has_body && head_.status >= 200 && head_.status < 300) {
    scanner_.emplace(req_.api, sse_);
    if (req_.info.capture) scanner_->set_tap(req_.info.capture.get());
    bool compressed = start_decoding();
    reframe_ = sse_ && req_.hide_usage_chunk && !compressed;
    if (!sse_ && !compressed && head_.body == http::ResponseBody::content_length)
      scanner_->expect_body_bytes(head_.content_length);
  }
  if (translating() && scanner_) {
    if (head_.body == http::ResponseBody::content_length) body_left_ = head_.content_length;
    start_translation(std::string(headers));
  } else if (reframe_) {
    // The body changes length, so whatever the upstream framing, the client gets chunks.
    if (head_.body == http::ResponseBody::content_length) body_left_ = head_.content_length;
    ex_->send_head(head_.status, headers, -1, true);
  } else
    switch (head_.body) {
      case http::ResponseBody::content_length:
        body_left_ = head_.content_length;
        ex_->send_head(head_.status, headers, static_cast<int64_t>(head_.content_length));
        break;
      case http::ResponseBody::chunked:
        ex_->send_head(head_.status, headers, -1, true);
        break;
      case http::ResponseBody::until_close:
        ex_->send_head(head_.status, headers, -1, false);
        break;
      case http::ResponseBody::none:
        ex_->send_head(head_.status, headers,
                       req_.head_method ? static_cast<int64_t>(head_.content_length) : 0);
        break;
    }
  size_t rest = src.size() - head_.head_bytes;
  data = data.sub(data.size() - rest);
  head_buf_.clear();
  head_buf_.shrink_to_fit();
  if (head_.body == http::ResponseBody::none ||
      (head_.body == http::ResponseBody::content_length && body_left_ == 0)) {
    complete(head_.keep_alive && data.empty());
    return false;
  }
  arm(req_.timeouts.idle_ms, kIdle);
  return true;
}

void ProxyExchange::relay_body(core::Slice data) {
  if (result_.first_body_ns == 0) result_.first_body_ns = loop_.now_ns() - req_.info.arrival_ns;
  bool done = false;
  size_t take = data.size();
  if (head_.body == http::ResponseBody::content_length) {
    if (take >= body_left_) {
      take = body_left_;
      done = true;
    }
    body_left_ -= take;
    if (scanner_) scan_piece(data, data.view().substr(0, take));
  } else if (head_.body == http::ResponseBody::chunked) {
    // Walk the framing to find where the message ends and to hand the scanner the
    // decoded bytes; the framed bytes themselves go out as they are.
    std::string_view in = data.view();
    size_t pos = 0;
    for (;;) {
      http::ChunkStep st = chunked_.step(in.substr(pos));
      pos += st.consumed;
      if (st.status == http::ChunkStatus::data) {
        if (scanner_) scan_piece(data, st.data);
        continue;
      }
      if (st.status == http::ChunkStatus::done) {
        take = pos;
        done = true;
      } else if (st.status == http::ChunkStatus::error) {
        if (!reframe_ && !translating_body_) ex_->send_body(data.sub(0, pos));
        cut_stream(resilience::FailureClass::bad_response, route::ErrorClass::upstream_error,
                   "upstream broke the response framing");
        return;
      }
      break;
    }
  } else if (scanner_) {
    scan_piece(data, data.view());
  }
  if (translate_overflow_)
    return cut_stream(resilience::FailureClass::bad_response, route::ErrorClass::upstream_error,
                      "the provider's answer is too large to translate");
  bool whole = take == data.size();
  if (translating_body_) {
    send_translated_chunk();  // the pieces went to the translator in scan_piece
  } else if (reframe_) {
    result_.bytes_out += take;
    emit_settled(done);
  } else {
    result_.bytes_out += take;
    ex_->send_body(whole ? std::move(data) : data.sub(0, take));
  }
  if (done) {
    finish_scan();
    if (reframe_) ex_->send_body(core::Slice::from_static("0\r\n\r\n"));
    if (translating_body_) finish_translation();
    complete(head_.keep_alive && whole);
    return;
  }
  arm(req_.timeouts.idle_ms, kIdle);
  if (ex_->client_backlog() > net::Stream::kHighWater && conn_) conn_->pause_reading();
}

// sluice asks for identity, but a provider may compress anyway. Then the client gets
// the body as it came (compressed; nothing is hidden from it) and the scanner reads it
// decoded. Returns whether the body is compressed.
bool ProxyExchange::start_decoding() {
  std::string_view encoding = head_.header("content-encoding");
  http::ContentCoding coding = http::content_coding(encoding);
  if (coding == http::ContentCoding::identity) return false;
  if (coding == http::ContentCoding::unsupported)
    SLUICE_LOG_WARN(
        "provider %s answered request %s with Content-Encoding \"%.*s\" though "
        "asked for identity: its usage cannot be read and is estimated",
        req_.info.provider.c_str(), req_.info.request_id.c_str(), static_cast<int>(encoding.size()),
        encoding.data());
  else
    decoder_ = std::make_unique<http::ContentDecoder>(coding);
  return true;
}

// `piece` lies inside `data`: body bytes (transfer coding removed), scanned in place.
void ProxyExchange::scan_piece(const core::Slice& data, std::string_view piece) {
  if (piece.empty()) return;
  if (decoder_) {
    decoder_->push(piece);
    for (std::string_view plain = decoder_->next(); !plain.empty(); plain = decoder_->next()) {
      if (translating_body_)
        translate_piece(plain);  // feeds the scanner too, or leaves it the parsed body
      else
        scanner_->feed(plain);
    }
    return;
  }
  if (translating_body_)
    translate_piece(piece);
  else
    scanner_->feed(piece);
  if (reframe_)
    held_.push_back(
        {decoded_, data.sub(static_cast<size_t>(piece.data() - data.data()), piece.size())});
  decoded_ += piece.size();
}

// Re-framing for a hidden usage chunk: sends every held piece the scanner has settled,
// less the usage-only ranges, each as one chunk. The payload bytes are the received
// buffers themselves; only the chunk-size lines are new.
void ProxyExchange::emit_settled(bool all) {
  uint64_t settled = all ? decoded_ : scanner_->settled_offset();
  const auto& hidden = scanner_->usage_only_chunks();
  while (held_head_ < held_.size() && held_[held_head_].offset < settled) {
    Piece& p = held_[held_head_];
    uint64_t len = std::min<uint64_t>(p.bytes.size(), settled - p.offset);
    // Cut [p.offset, p.offset + len) by the hidden ranges.
    uint64_t at = p.offset;
    uint64_t stop = p.offset + len;
    while (at < stop) {
      uint64_t next = stop;
      bool skip = false;
      for (const scan::ByteRange& h : hidden) {
        if (at >= h.offset && at < h.offset + h.length) {
          skip = true;
          next = std::min<uint64_t>(stop, h.offset + h.length);
          break;
        }
        if (h.offset > at && h.offset < next) next = h.offset;
      }
      if (!skip) {
        // The chunk-size line, into the exchange's scratch block: no allocation per line.
        char line[20];
        char* end = std::to_chars(line, line + 16, next - at, 16).ptr;
        *end++ = '\r';
        *end++ = '\n';
        ex_->send_body(scratch_.put(std::string_view(line, static_cast<size_t>(end - line))));
        ex_->send_body(
            p.bytes.sub(static_cast<size_t>(at - p.offset), static_cast<size_t>(next - at)));
        ex_->send_body(core::Slice::from_static("\r\n"));
      }
      at = next;
    }
    if (len == p.bytes.size()) {
      p.bytes = {};
      ++held_head_;
    } else {
      p.bytes.remove_prefix(static_cast<size_t>(len));
      p.offset += len;
    }
  }
  // What was sent leaves the vector once it is most of it.
  if (held_head_ == held_.size()) {
    held_.clear();
    held_head_ = 0;
  } else if (held_head_ > 16 && held_head_ * 2 > held_.size()) {
    held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(held_head_));
    held_head_ = 0;
  }
}

void ProxyExchange::on_client_drained() {
  if (conn_) conn_->resume_reading();
}

void ProxyExchange::complete(bool upstream_reusable) {
  if (conn_) pool_.release(conn_, upstream_reusable);
  conn_ = nullptr;
  net::Exchange* ex = ex_;
  ex_ = nullptr;
  end();
  if (ex) ex->finish(true);
}

void ProxyExchange::on_upstream_closed(upstream::UpstreamConnection& c, int err) {
  conn_ = nullptr;  // it closes itself after this call
  if (ended_) return;
  if (holding_) {
    if (head_.body == http::ResponseBody::until_close) return finish_holding(false);
    return after_failure(resilience::FailureClass::connection_reset,
                         route::ErrorClass::upstream_error,
                         "upstream closed the connection in the middle of an error response");
  }
  if (!head_done_) {
    // A pooled connection the server had already closed: the request never reached it.
    if (c.reused() && head_buf_.empty() && !retried_) {
      retried_ = true;
      send_try();
      return;
    }
    after_failure(resilience::FailureClass::connection_reset, route::ErrorClass::upstream_error,
                  err ? std::string("upstream connection failed: ") + strerror(-err)
                      : std::string("upstream closed the connection before responding"));
    return;
  }
  if (head_.body == http::ResponseBody::until_close) {
    finish_scan();
    if (reframe_) {
      emit_settled(true);
      ex_->send_body(core::Slice::from_static("0\r\n\r\n"));
    }
    if (translating_body_) finish_translation();
    net::Exchange* ex = ex_;
    ex_ = nullptr;
    end();
    ex->finish(reframe_ || translating_body_);
    return;
  }
  cut_stream(resilience::FailureClass::connection_reset, route::ErrorClass::upstream_error,
             "upstream closed the connection in the middle of the response");
}

void ProxyExchange::on_client_gone() {
  ex_ = nullptr;
  result_.client_gone = true;
  // Nobody reads the rest: stop the upstream from producing (and billing) it.
  if (conn_) pool_.release(conn_, false);
  conn_ = nullptr;
  end();
}

void ProxyExchange::on_timer(int tag) {
  if (ended_) return;
  if (tag == kBackoff) return attempt();
  if (tag == kTotal) {
    if (relayed_)
      return cut_stream(resilience::FailureClass::timeout, route::ErrorClass::upstream_timeout,
                        "the request's total deadline passed");
    result_.timed_out = true;
    req_.info.error_class = resilience::failure_class_name(resilience::FailureClass::timeout);
    return fail(route::ErrorClass::upstream_timeout, "the request's total deadline passed");
  }
  if (!relayed_) {
    if (conn_) pool_.release(conn_, false);
    conn_ = nullptr;
    holding_ = false;
    after_failure(
        resilience::FailureClass::timeout, route::ErrorClass::upstream_timeout,
        tag == kConnect ? "upstream connect timed out" : "upstream did not answer in time");
    return;
  }
  cut_stream(resilience::FailureClass::timeout, route::ErrorClass::upstream_timeout,
             "upstream stalled in the middle of the response");
}

void ProxyExchange::fail(route::ErrorClass error, std::string_view message) {
  if (conn_) pool_.release(conn_, false);
  conn_ = nullptr;
  result_.status = route::http_status(error);
  if (req_.info.error_class.empty()) req_.info.error_class = route::error_class_name(error);
  net::Exchange* ex = ex_;
  ex_ = nullptr;
  end();
  if (!ex) return;
  if (ex->head_sent()) {
    ex->abort();
    return;
  }
  std::string extra = "x-sluice-error-class: ";
  extra += route::error_class_name(error);
  extra += "\r\n";
  extra += req_.response_headers;
  ex->respond(result_.status, "application/json", route::error_body(req_.flavor, error, message),
              extra);
}

// The answer's extra lines may be read up to here (fail() answers after end()).
ProxyExchange::~ProxyExchange() { core::recycle_string(std::move(req_.response_headers)); }

void ProxyExchange::end() {
  if (ended_) return;
  ended_ = true;
  timer_.cancel();
  total_timer_.cancel();
  if (breaker_ && probe_) breaker_->release_probe();  // no verdict: let another probe go
  probe_ = false;
  if (sink_) sink_->on_exchange_end(*this, result_);
  loop_.defer([this] { delete this; });
}

}  // namespace sluice::relay
