#include "units.h"

#include <cstdio>

namespace sluice::load {

std::string format_us(double us) {
  char buf[32];
  if (us < 1000) {
    snprintf(buf, sizeof buf, "%.0fus", us);
  } else if (us < 1e6) {
    snprintf(buf, sizeof buf, "%.2fms", us / 1e3);
  } else {
    snprintf(buf, sizeof buf, "%.2fs", us / 1e6);
  }
  return buf;
}

std::string format_bytes(double bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", bytes, kUnits[u]);
  return buf;
}

std::string format_rate(double per_s) {
  char buf[32];
  snprintf(buf, sizeof buf, per_s >= 100 ? "%.0f" : "%.2f", per_s);
  return buf;
}

}  // namespace sluice::load
