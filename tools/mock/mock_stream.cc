#include "mock_stream.h"

#include <charconv>

#include "sluice/net/stream.h"

namespace sluice::mock {
namespace {

constexpr std::string_view kLastChunk = "0\r\n\r\n";

// One HTTP chunk per SSE event: the client, and any proxy that forwards chunks as they
// come, sees event boundaries exactly where a provider puts them.
void append_chunk(std::string& out, std::string_view data) {
  char size[16];
  auto [end, ec] = std::to_chars(size, size + sizeof size, data.size(), 16);
  (void)ec;
  out.append(size, end);
  out += "\r\n";
  out += data;
  out += "\r\n";
}

core::EventLoop& loop_of(net::Exchange& ex) { return ex.server().io.loop; }

}  // namespace

void MockStream::start(net::Exchange& ex, ResponsePlan plan, ShardStats& stats) {
  auto* s = new MockStream(ex, std::move(plan), stats);
  s->pump();
}

MockStream::MockStream(net::Exchange& ex, ResponsePlan plan, ShardStats& stats)
    : ex_(ex),
      plan_(std::move(plan)),
      stats_(stats),
      start_ns_(loop_of(ex).now_ns()),
      total_events_(plan_.format->event_count(plan_.reply)) {
  ex_.set_observer(this);
  if (!plan_.stream) return;
  ShardStats::bump(stats_.streams_started);
  ShardStats::bump(stats_.streams_open, int64_t{1});
  stats_.count_status(200);
  // The head goes out at once, as providers send it before the first token.
  std::string headers = "Content-Type: ";
  headers += plan_.format->stream_content_type(plan_.reply);
  headers += "\r\nCache-Control: no-cache\r\n";
  headers += plan_.headers;
  ex_.send_head(200, headers, -1, true);
}

MockStream::~MockStream() {
  if (plan_.stream) ShardStats::bump(stats_.streams_open, int64_t{-1});
}

uint64_t MockStream::due_ns(uint32_t event) const {
  // The prelude goes with the first token; the epilogue with the last.
  uint32_t prelude = plan_.format->prelude_events(plan_.reply);
  uint32_t tokens = plan_.reply.output_tokens;
  uint32_t k = event < prelude ? 0 : event - prelude;
  if (tokens > 0 && k > tokens - 1) k = tokens - 1;
  return start_ns_ + plan_.ttft_ns + plan_.itl_ns * k;
}

void MockStream::arm(uint64_t deadline_ns) {
  timer_.arm(loop_of(ex_).timers(), deadline_ns, this, 0);
}

void MockStream::pump() {
  if (dripping_) return drip();
  if (plan_.stream) return pump_events();
  // Non-stream: the whole answer after the generation time.
  uint32_t tokens = plan_.reply.output_tokens;
  uint64_t due = start_ns_ + plan_.ttft_ns + (tokens > 1 ? plan_.itl_ns * (tokens - 1) : 0);
  if (due > loop_of(ex_).now_ns()) return arm(due);
  answer_body();
}

void MockStream::pump_events() {
  uint64_t now = loop_of(ex_).now_ns();
  if (plan_.fault == FaultSpec::Kind::drip) {
    if (due_ns(0) > now) return arm(due_ns(0));
    // Drip ignores pacing: the whole stream, framed, one byte at a time.
    std::string all;
    std::string event;
    for (uint32_t i = 0; i < total_events_; ++i) {
      event.clear();
      plan_.format->append_event(event, plan_.reply, i);
      append_chunk(all, event);
    }
    all += kLastChunk;
    return start_drip(std::move(all));
  }
  thread_local std::string event;
  std::string out;
  bool cut = plan_.fault == FaultSpec::Kind::drop || plan_.fault == FaultSpec::Kind::stall;
  while (next_event_ < total_events_) {
    if (cut && next_event_ == plan_.fault_after) break;
    uint64_t due = due_ns(next_event_);
    if (due > now) {
      if (!out.empty()) ex_.send_body(core::Slice::copy_of(std::move(out)));
      return arm(due);
    }
    event.clear();
    plan_.format->append_event(event, plan_.reply, next_event_);
    append_chunk(out, event);
    ++next_event_;
    if (out.size() >= 64 * 1024) {
      ex_.send_body(core::Slice::copy_of(std::move(out)));
      out = std::string();
      // Above the high-water mark the connection calls on_client_drained later.
      if (ex_.client_backlog() > net::Stream::kHighWater) {
        waiting_drain_ = true;
        return;
      }
    }
  }
  if (next_event_ < total_events_) {
    // Cut by the fault: drop closes without the last chunk; stall keeps the connection
    // open and silent until the client leaves.
    if (!out.empty()) ex_.send_body(core::Slice::copy_of(std::move(out)));
    if (plan_.fault == FaultSpec::Kind::drop) end(false);
    return;
  }
  out += kLastChunk;
  ex_.send_body(core::Slice::copy_of(std::move(out)));
  ShardStats::bump(stats_.streams_completed);
  end(true);
}

void MockStream::answer_body() {
  std::string body = plan_.format->body(plan_.reply);
  stats_.count_status(200);
  if (plan_.fault == FaultSpec::Kind::none) {
    ex_.respond(200, "application/json", std::move(body), plan_.headers);
    delete this;
    return;
  }
  std::string headers = "Content-Type: application/json\r\n" + plan_.headers;
  ex_.send_head(200, headers, static_cast<int64_t>(body.size()));
  if (plan_.fault == FaultSpec::Kind::drip) return start_drip(std::move(body));
  // drop / stall: the first `fault_after` bytes of the body, then close or go silent.
  if (plan_.fault_after > 0) ex_.send_body(core::Slice::copy_of(body.substr(0, plan_.fault_after)));
  if (plan_.fault == FaultSpec::Kind::drop) end(false);
}

void MockStream::start_drip(std::string bytes) {
  dripping_ = true;
  drip_bytes_ = core::Slice::copy_of(std::move(bytes));
  drip();
}

void MockStream::drip() {
  if (!drip_bytes_.empty()) {
    ex_.send_body(drip_bytes_.sub(0, 1));
    drip_bytes_.remove_prefix(1);
  }
  if (!drip_bytes_.empty()) return arm(loop_of(ex_).now_ns() + plan_.drip_ms * 1'000'000ull);
  if (plan_.stream) ShardStats::bump(stats_.streams_completed);
  end(true);
}

void MockStream::end(bool complete) {
  timer_.cancel();
  ex_.finish(complete);
  delete this;
}

void MockStream::on_timer(int) { pump(); }

void MockStream::on_client_gone() { delete this; }

void MockStream::on_client_drained() {
  if (!waiting_drain_) return;
  waiting_drain_ = false;
  pump();
}

}  // namespace sluice::mock
