#pragma once
// One response that takes time: a stream paced by the shard's timers (time to first
// token, then one event per inter-token delay), a non-stream answer that waits for the
// generation time, and the stream faults (drop, stall, drip). It owns itself: it ends
// when the response is complete or the client leaves, and holds nothing but its Reply
// in between, so thousands of slow streams cost little. When the client reads slowly it
// stops producing above the connection's high-water mark and resumes on drain.

#include <cstdint>
#include <string>

#include "fault.h"
#include "mock_stats.h"
#include "sluice/core/buffer.h"
#include "sluice/core/timer.h"
#include "sluice/net/http_connection.h"
#include "wire_format.h"

namespace sluice::mock {

struct ResponsePlan {
  const WireFormat* format = nullptr;
  Reply reply;
  bool stream = false;
  uint64_t ttft_ns = 0;                           // before the first token
  uint64_t itl_ns = 0;                            // between tokens; 0: all at once
  FaultSpec::Kind fault = FaultSpec::Kind::none;  // none, drop, stall or drip
  uint32_t fault_after = 0;                       // drop / stall: events (stream) or bytes
  uint32_t drip_ms = 50;
  std::string headers;  // extra raw header lines: rate limits, request id

  // A non-stream answer with no delay and no fault can be written at once.
  bool immediate() const {
    return !stream && fault == FaultSpec::Kind::none && ttft_ns == 0 &&
           (itl_ns == 0 || reply.output_tokens <= 1);
  }
};

class MockStream final : public core::TimerTarget, public net::ExchangeObserver {
 public:
  // Answers `ex` as `plan` says.
  static void start(net::Exchange& ex, ResponsePlan plan, ShardStats& stats);

  void on_timer(int tag) override;
  void on_client_gone() override;
  void on_client_drained() override;

 private:
  MockStream(net::Exchange& ex, ResponsePlan plan, ShardStats& stats);
  ~MockStream();

  void pump();
  void pump_events();
  void answer_body();
  void start_drip(std::string bytes);
  void drip();
  // Ends the exchange (keeping the connection when `complete`) and frees this.
  void end(bool complete);
  uint64_t due_ns(uint32_t event) const;
  void arm(uint64_t deadline_ns);

  net::Exchange& ex_;
  ResponsePlan plan_;
  ShardStats& stats_;
  core::Timer timer_;
  core::Slice drip_bytes_;  // drip: what is left to send
  uint64_t start_ns_;
  uint32_t total_events_;
  uint32_t next_event_ = 0;
  bool waiting_drain_ = false;
  bool dripping_ = false;
};

}  // namespace sluice::mock
