#pragma once
// The live one-line progress display on stderr: rewritten in place with '\r' about
// twice a second on a terminal; with --progress on something else (a log, a pipe), one
// plain line per second instead.

#include <cstdint>
#include <string>

#include "worker.h"

namespace sluice::load {

class Progress {
 public:
  // `terminal`: stderr is a terminal (lines are rewritten in place).
  Progress(bool enabled, bool terminal);

  // Called often; prints when a line is due. `elapsed_s` counts from the measurement
  // start (negative during the warmup).
  void update(uint64_t now_ns, double elapsed_s, const Snapshot& merged);
  // Clears the line on a terminal, before the summary is printed.
  void finish();

  // The text of one line (no '\r' or '\n').
  static std::string line(double elapsed_s, double rate, const Snapshot& merged);

 private:
  bool enabled_;
  bool terminal_;
  uint64_t last_ns_ = 0;
  uint64_t last_responses_ = 0;
  size_t last_width_ = 0;
};

}  // namespace sluice::load
