#pragma once
/// Runs a command-line tool from a test and captures what it printed, with a bounded wait.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace visionwatch::test {

struct process_result {
  int exit_code = -1;  ///< the exit status, or -1 when killed by a signal or the deadline
  bool timed_out = false;
  std::string out;  ///< everything written to stdout
  std::string err;  ///< everything written to stderr
};

/// Runs argv (argv[0] is searched in PATH) with the test's environment plus `extra_env`
/// ("NAME=value", overriding same-named variables), stdin from /dev/null. Kills the process when
/// `timeout` passes. Throws std::runtime_error when it cannot be started at all.
process_result run_process(const std::vector<std::string>& argv,
                           const std::vector<std::string>& extra_env = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(120));

/// The first executable `name` in PATH, or nullopt.
std::optional<std::filesystem::path> find_in_path(std::string_view name);

}  // namespace visionwatch::test
