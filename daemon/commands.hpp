#pragma once
/// Subcommands of the `visionwatch` executable. Each add_*_command registers a CLI11 subcommand
/// whose callback stores the work in `cli_context::run`; main() sets up logging after the whole
/// command line parsed, then calls it and exits with its return value.

#include <functional>
#include <string>

namespace CLI {
class App;
}

namespace visionwatch {

/// Exit codes shared by every subcommand (documented in the README).
inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;    ///< `check`: at least one route failed
inline constexpr int exit_config = 2;    ///< the configuration is invalid or unreadable
inline constexpr int exit_usage = 64;    ///< bad command line (EX_USAGE)
inline constexpr int exit_runtime = 70;  ///< internal or environment error (EX_SOFTWARE)

/// Options every subcommand shares (set before the subcommand's callback runs).
struct cli_context {
  std::string log_level = "info";
  std::string log_format = "text";  ///< text | json
  std::function<int()> run;         ///< set by the chosen subcommand's callback
};

// One declaration per subcommand, in the order main() registers them.
void add_check_command(CLI::App& app, cli_context& ctx);
void add_validate_command(CLI::App& app, cli_context& ctx);
void add_run_command(CLI::App& app, cli_context& ctx);
void add_demo_command(CLI::App& app, cli_context& ctx);
void add_challenge_command(CLI::App& app, cli_context& ctx);

}  // namespace visionwatch
