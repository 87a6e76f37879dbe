#pragma once
// --plot: a self-contained SVG (no scripts, fonts or links) of a run over time: latency
// p50 and p99 per second in the upper panel, completed requests and errors per second
// in the lower one.

#include <string>

#include "report.h"

namespace sluice::load {

std::string svg_plot(const RunReport& r);

// "Nice" axis step (1, 2 or 5 times a power of ten) for about `ticks` ticks up to `max`.
double nice_step(double max, int ticks);

}  // namespace sluice::load
