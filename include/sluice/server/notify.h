#pragma once
// The systemd notification protocol (sd_notify(3), libsystemd): READY, RELOADING,
// STOPPING and watchdog pings to $NOTIFY_SOCKET. Without NOTIFY_SOCKET (not started by
// systemd) every call does nothing.

#include <cstdint>

namespace sluice::server::notify {

void ready();
// RELOADING=1 with MONOTONIC_USEC (systemd >= 253 matches the reload by it); ready()
// follows when the reload is over, whether it was applied or refused.
void reloading();
void stopping();
void watchdog();
// The watchdog interval in microseconds from $WATCHDOG_USEC (and $WATCHDOG_PID when
// set), or 0 when systemd expects no pings.
uint64_t watchdog_usec();

}  // namespace sluice::server::notify
