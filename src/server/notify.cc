#include "sluice/server/notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdio>

namespace sluice::server::notify {

void ready() { sd_notify(0, "READY=1\nSTATUS=serving"); }

void reloading() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  unsigned long long usec = static_cast<unsigned long long>(ts.tv_sec) * 1000000ull +
                            static_cast<unsigned long long>(ts.tv_nsec) / 1000ull;
  char msg[96];
  std::snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading", usec);
  sd_notify(0, msg);
}

void stopping() { sd_notify(0, "STOPPING=1\nSTATUS=draining"); }

void watchdog() { sd_notify(0, "WATCHDOG=1"); }

uint64_t watchdog_usec() {
  uint64_t usec = 0;
  return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

}  // namespace sluice::server::notify
