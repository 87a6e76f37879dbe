#pragma once
// sluice-mock's command line.

#include <cstdint>
#include <string>
#include <vector>

#include "fault.h"

namespace sluice::mock {

// Per-request defaults; each can be overridden by an x-mock-* request header.
struct Defaults {
  uint64_t ttft_ns = 0;         // --ttft-ms
  uint64_t itl_ns = 0;          // --itl-ms or --tps; 0: every event at once
  uint32_t output_tokens = 16;  // --output-tokens
  FaultSpec fault;              // --fault
  double fault_rate = 1.0;      // --fault-rate: share of requests that get --fault
  std::vector<FaultScheduleEntry> fault_schedule;  // --fault-schedule
};

struct MockOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 9000;  // 0: any free port (logged)
  unsigned threads = 0;  // 0: one shard per CPU of the affinity mask
  Defaults defaults;
  uint64_t rpm = 0;  // --rpm: requests per minute for the whole process; 0: none
  uint64_t tpm = 0;  // --tpm: tokens per minute; 0: none
  uint32_t drain_ms = 1000;
  std::string tls_cert;
  std::string tls_key;
};

enum class ParseOutcome { run, exit_ok, exit_error };

// Fills `out` from argv. `message` gets the help or version text (exit_ok) or what was
// wrong (exit_error).
ParseOutcome parse_options(int argc, char** argv, MockOptions& out, std::string& message);

std::string usage_text();

// Upper bound of x-mock-output-tokens / --output-tokens.
inline constexpr uint32_t kMaxOutputTokens = 1'000'000;

}  // namespace sluice::mock
