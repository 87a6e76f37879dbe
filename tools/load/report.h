#pragma once
// The end of a run: the human summary on stdout and the --json report, both from the
// merged figures of every worker.

#include <string>
#include <vector>

#include "load_options.h"
#include "scenario.h"
#include "stats.h"

namespace sluice::load {

struct RunReport {
  const LoadOptions* options = nullptr;
  const Scenario* scenario = nullptr;
  unsigned threads = 0;
  unsigned connections = 0;
  bool open_loop = false;
  bool interrupted = false;  // stopped early by SIGINT / SIGTERM
  double elapsed_s = 0;      // measured window: measurement start to the last request's end
  RunStats merged;           // every worker's counters, projects by index
  ProjectStats total;        // all projects together
  Timeline::Merged timeline;
};

// Whether any measured request failed (non-2xx or transport error).
bool has_errors(const RunReport& r);

std::string human_summary(const RunReport& r);
std::string json_report(const RunReport& r);

}  // namespace sluice::load
