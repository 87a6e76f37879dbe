#pragma once
// The mock's request handler, one per shard: routes a request to its provider endpoint,
// applies the account limits and the injected fault, and answers — at once, or through
// a MockStream when the answer takes time.

#include <atomic>
#include <cstdint>
#include <string>

#include "account_limits.h"
#include "mock_options.h"
#include "mock_request.h"
#include "mock_route.h"
#include "mock_stats.h"
#include "mock_stream.h"
#include "sluice/net/http_connection.h"

namespace sluice::mock {

// What every shard shares: read-only options, and the atomics of a mock's account.
struct MockShared {
  MockShared(const MockOptions& o, size_t shards)
      : options(o), limits(o.rpm, o.tpm), stats(shards) {}
  const MockOptions& options;
  AccountLimits limits;
  MockStats stats;
  std::atomic<uint64_t> fault_sequence{0};     // requests considered for --fault-rate
  std::atomic<uint64_t> schedule_sequence{0};  // requests counted for --fault-schedule
  FaultKeys fault_keys;                        // x-mock-fault-key counts
};

// Per-request timing and size, from x-mock-* headers or the defaults.
struct Timing {
  uint64_t ttft_ns = 0;
  uint64_t itl_ns = 0;
  uint32_t output_tokens = 16;
  uint32_t cached_tokens = 0;
  int32_t tool_calls = -1;          // x-mock-tool-calls; -1: one when the request has tools
  bool thinking = false;            // x-mock-thinking: 1
  uint32_t cache_write_tokens = 0;  // x-mock-cache-write-tokens
};

// Reads x-mock-ttft-ms, x-mock-itl-ms, x-mock-tps, x-mock-output-tokens,
// x-mock-cached-tokens, x-mock-cache-write-tokens, x-mock-tool-calls and x-mock-thinking
// over `defaults`. False with a message on a malformed value.
bool read_timing(const http::RequestHead& head, const Defaults& defaults, Timing& out,
                 std::string& error);

class MockHandler final : public net::RequestHandler {
 public:
  MockHandler(MockShared& shared, unsigned shard);
  void on_request(net::Exchange& ex) override;

 private:
  void generate(net::Exchange& ex, const Route& route);
  void answer_listing(net::Exchange& ex, const Route& route);
  bool choose_fault(const http::RequestHead& head, FaultSpec& out, std::string& error);
  std::string stats_json() const;
  void inject(net::Exchange& ex, const Route& route, const FaultSpec& fault,
              std::string_view request_id, std::string& headers);
  void respond_json(net::Exchange& ex, int status, std::string body, std::string_view headers = {});
  void respond_error(net::Exchange& ex, Dialect d, int status, std::string_view message);
  std::string next_id();

  MockShared& shared_;
  ShardStats& stats_;
  unsigned shard_;
  uint64_t sequence_ = 0;  // ids of this shard's responses
};

}  // namespace sluice::mock
