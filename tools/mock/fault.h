#pragma once
// Failure injection: what `x-mock-fault` (one request) or `--fault` (every request, or a
// fraction of them with --fault-rate) asks the mock to do instead of a normal answer.
//
//   status=CODE[,retry_after=S][,retry_after_ms=MS][,code=C][,should_retry=0|1]
//                             an error in the API's envelope
//   hang                      never answer
//   drop_after=N              close the connection after N stream events, no last chunk
//   stall_after=N             stop after N stream events, keep the connection open
//   drip[,drip_ms=MS]         send the response one byte every MS ms (default 50)
//   refuse                    close the connection at once, no response
//   none                      (header only) no fault, even when --fault is set

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::mock {

struct FaultSpec {
  enum class Kind : uint8_t { none, status, hang, drop, stall, drip, refuse };
  Kind kind = Kind::none;
  int status = 0;               // Kind::status
  int64_t retry_after_s = -1;   // `retry-after` header when >= 0
  int64_t retry_after_ms = -1;  // `retry-after-ms` header when >= 0
  int should_retry = -1;        // `x-should-retry: true/false` (any dialect) when 0 or 1
  std::string code;             // overrides the provider's error code (see wire_format.h)
  uint32_t after_events = 0;    // Kind::drop and Kind::stall
  uint32_t drip_ms = 50;        // Kind::drip
};

// Parses a fault spec. On failure returns false and says why in `error`.
bool parse_fault(std::string_view text, FaultSpec& out, std::string& error);

std::string_view fault_name(FaultSpec::Kind k);

// --fault-schedule "N:SPEC;N-M:SPEC;...": request number N (or N to M; counted from 1
// over the process, in arrival order) gets SPEC. Requests the schedule does not name get
// --fault, if any. Lets a test say "the first two tries fail, the third succeeds".
struct FaultScheduleEntry {
  uint64_t from = 0;
  uint64_t to = 0;
  FaultSpec spec;
};
bool parse_fault_schedule(std::string_view text, std::vector<FaultScheduleEntry>& out,
                          std::string& error);
// The spec for request `sequence` (from 1), or null when the schedule names none.
const FaultSpec* scheduled_fault(const std::vector<FaultScheduleEntry>& schedule,
                                 uint64_t sequence);

// Requests counted per `x-mock-fault-key`, so a test can count the tries a gateway made
// for it, and `x-mock-fault-times: N` can limit x-mock-fault to the first N of them.
// A mutex: the mock is a test tool and this is off its fast path (keyed requests only).
class FaultKeys {
 public:
  uint64_t next(std::string_view key);  // this request's number for `key`, from 1
  std::string json() const;             // {"key":count,...}

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t, std::less<>> counts_;
};

// Whether request number `sequence` of the process gets the --fault: a fixed
// pseudo-random choice with probability `rate`, so a run is repeatable.
bool fault_applies(uint64_t sequence, double rate);

}  // namespace sluice::mock
