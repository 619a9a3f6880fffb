#pragma once
/// Subcommands of the `visionwatch` executable. Each add_*_command registers a CLI11 subcommand
/// whose callback stores the work in `cli_context::run`; main() sets up logging after the whole
/// command line parsed, then calls it and exits with its return value.

#include <functional>
#include <optional>
#include <string>

#include "daemon/config/exit_codes.hpp"
#include "daemon/config/shard.hpp"

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's namespace
class App;       // NOLINT(readability-identifier-naming): CLI11's class, declared ahead
}

namespace visionwatch {

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
void add_config_command(CLI::App& app, cli_context& ctx);

/// `--shard i/n` on `cmd` (run, check, validate): a bad value is a usage error naming the flag;
/// a good one lands in `out`, which must outlive parsing.
void add_shard_option(CLI::App& cmd, std::optional<shard_spec>& out);

}  // namespace visionwatch
