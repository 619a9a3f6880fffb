#pragma once
/// `visionwatch check`: N image probes per route, routes concurrently (one worker per gateway
/// slot), then a scorecard on stdout. The command line lives in daemon/app/cmd_check.cpp.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace visionwatch {

struct check_options {
  std::string config_path;
  int probes = 3;
  std::vector<std::string> routes;
  std::string output = "table";
  double min_success = 1.0;
  /// Fixes the run's nonce, so every route draws the same challenges on every run (a CI gate
  /// that must not depend on luck, or a reproduction). Unset: a fresh random nonce per run.
  std::optional<std::uint64_t> seed;
};

/// Runs the check and prints the scorecard. Returns exit_ok when every route passed,
/// exit_failed when one did not, exit_config / exit_usage for a bad file or route name.
int run_check(const check_options& o);

}  // namespace visionwatch
