#include "progress.h"

#include <unistd.h>

#include <cstdio>

#include "units.h"

namespace sluice::load {

Progress::Progress(bool enabled, bool terminal) : enabled_(enabled), terminal_(terminal) {}

std::string Progress::line(double elapsed_s, double rate, const Snapshot& s) {
  char head[48];
  if (elapsed_s < 0) {
    snprintf(head, sizeof head, "warmup %5.1fs", -elapsed_s);
  } else {
    snprintf(head, sizeof head, "%6.1fs", elapsed_s);
  }
  std::string out = std::string("sluice-load ") + head + "  " + format_rate(rate) + " req/s";
  if (s.latency.count() > 0) {
    out += "  p50 " + format_us(static_cast<double>(s.latency.percentile(0.5)));
    out += "  p99 " + format_us(static_cast<double>(s.latency.percentile(0.99)));
  }
  out += "  done " + std::to_string(s.responses);
  out += "  errors " + std::to_string(s.errors);
  out += "  in flight " + std::to_string(s.in_flight);
  return out;
}

void Progress::update(uint64_t now_ns, double elapsed_s, const Snapshot& merged) {
  if (!enabled_) return;
  uint64_t period = terminal_ ? 500'000'000ull : 1'000'000'000ull;
  if (last_ns_ == 0) {
    last_ns_ = now_ns;
    last_responses_ = merged.responses;
    return;
  }
  if (now_ns - last_ns_ < period) return;
  double dt = static_cast<double>(now_ns - last_ns_) / 1e9;
  double rate = merged.responses >= last_responses_
                    ? static_cast<double>(merged.responses - last_responses_) / dt
                    : 0;
  last_ns_ = now_ns;
  last_responses_ = merged.responses;
  std::string text = line(elapsed_s, rate, merged);
  if (terminal_) {
    size_t width = text.size();
    if (width < last_width_) text.append(last_width_ - width, ' ');  // erase the old tail
    last_width_ = width;
    text = "\r" + text;
  } else {
    text += "\n";
  }
  ssize_t n = write(STDERR_FILENO, text.data(), text.size());
  (void)n;
}

void Progress::finish() {
  if (!enabled_ || !terminal_ || last_width_ == 0) return;
  std::string blank = "\r" + std::string(last_width_, ' ') + "\r";
  ssize_t n = write(STDERR_FILENO, blank.data(), blank.size());
  (void)n;
}

}  // namespace sluice::load
