#pragma once
/// The daemon's side of systemd's notify protocol (Type=notify, WatchdogSec=), over libsystemd.
/// Every function is a no-op returning false when NOTIFY_SOCKET is unset, i.e. when the daemon
/// does not run under systemd. A failed send is logged and returned as false, never thrown: a
/// lost notification must not stop the daemon. Status texts are single-line (newlines become
/// spaces) so they cannot inject other assignments. Call from the event-loop thread.

#include <chrono>
#include <optional>
#include <string_view>

#include "probes/net.hpp"

namespace visionwatch::sd {

/// "READY=1", plus "STATUS=<status>" when given: start-up finished, or a reload finished.
bool ready(std::string_view status = {});

/// "RELOADING=1", "STATUS=<status>" and "MONOTONIC_USEC=<now>" (which systemd >= 253 requires and
/// 252 ignores). Follow with ready() once the new configuration is live (or was rejected).
bool reloading(std::string_view status);

/// "STOPPING=1", plus "STATUS=<status>" when given: orderly shutdown has begun.
bool stopping(std::string_view status = {});

/// "STATUS=<text>": shown by `systemctl status`.
bool status(std::string_view text);

/// "WATCHDOG=1": the event loop is alive.
bool watchdog_ping();

/// How often to ping: half of WATCHDOG_USEC when the watchdog is enabled for this process (and
/// NOTIFY_SOCKET is set), else nullopt.
std::optional<std::chrono::microseconds> watchdog_interval();

/// Pings every `interval` from the calling executor until cancelled (operation_aborted ends it
/// quietly). Running it on the event loop is the point: a wedged loop stops the pings and systemd
/// restarts the daemon.
net::awaitable<void> watchdog_loop(std::chrono::microseconds interval);

}  // namespace visionwatch::sd
