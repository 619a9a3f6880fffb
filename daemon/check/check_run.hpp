#pragma once
/// `visionwatch check`: N image probes per route, routes concurrently (one worker per gateway
/// slot), then a scorecard on stdout. The command line lives in daemon/app/cmd_check.cpp.

#include <string>
#include <vector>

namespace visionwatch {

struct check_options {
  std::string config_path;
  int probes = 3;
  std::vector<std::string> routes;
  std::string output = "table";
  double min_success = 1.0;
};

/// Runs the check and prints the scorecard. Returns exit_ok when every route passed,
/// exit_failed when one did not, exit_config / exit_usage for a bad file or route name.
int run_check(const check_options& o);

}  // namespace visionwatch
