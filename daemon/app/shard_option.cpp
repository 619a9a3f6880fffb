// `--shard i/n` on run, check and validate: one option, parsed once, the same error everywhere.
#include <CLI/CLI.hpp>

#include "daemon/app/commands.hpp"

namespace visionwatch {

void add_shard_option(CLI::App& cmd, std::optional<shard_spec>& out) {
  cmd.add_option_function<std::string>(
      "--shard",
      [&out](const std::string& text) {
        std::string error;
        out = parse_shard(text, error);
        if (!out) {
          throw CLI::ValidationError("--shard", error);
        }
      },
      "Probe only the routes shard i of n owns (e.g. 2/3), overriding global.shard; rendezvous "
      "hashing of route names, see docs/scaling.md");
}

}  // namespace visionwatch
