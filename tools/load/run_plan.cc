#include "run_plan.h"

#include <algorithm>

namespace sluice::load {

std::vector<WorkerPlan> plan_workers(unsigned threads, unsigned connections, double rate,
                                     uint64_t requests) {
  threads = std::max(1u, std::min(threads, connections));
  std::vector<WorkerPlan> plans(threads);
  uint64_t requests_given = 0;
  for (unsigned i = 0; i < threads; ++i) {
    WorkerPlan& p = plans[i];
    p.index = i;
    p.connections = connections / threads + (i < connections % threads ? 1 : 0);
    double share = static_cast<double>(p.connections) / connections;
    p.rate = rate * share;
    p.phase = static_cast<double>(i) / threads;
    if (rate > 0 && requests > 0) {
      // Cumulative rounding, so the shares add up to exactly `requests`.
      uint64_t upto = static_cast<uint64_t>(
          static_cast<double>(requests) *
              static_cast<double>(connections / threads * (i + 1) +
                                  std::min<unsigned>(i + 1, connections % threads)) /
              connections +
          0.5);
      if (i + 1 == threads) upto = requests;
      p.requests = upto - requests_given;
      requests_given = upto;
    }
  }
  return plans;
}

}  // namespace sluice::load
