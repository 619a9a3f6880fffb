#pragma once
/// The one structured log line per probe (route, outcome, reason, latency, tokens, seed).

#include "daemon/config/config.hpp"
#include "probes/probe_result.hpp"

namespace visionwatch {

/// Logs at info for ok probes and warn for failures (debug for both when `quiet`).
void log_probe(const probe_result& r, const route_config& route, bool quiet = false);

}  // namespace visionwatch
