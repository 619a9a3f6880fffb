// `visionwatch config schema`: prints the configuration's JSON Schema (draft-07), generated from
// the field tables the parser reads through, for editors (yaml-language-server, JetBrains) and
// CI linters. docs/visionwatch.schema.json is a checked-in copy of this output.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "daemon/app/commands.hpp"
#include "daemon/config/config_schema.hpp"

namespace visionwatch {

void add_config_command(CLI::App& app, cli_context& ctx) {
  auto* cmd = app.add_subcommand("config", "Tools for the configuration file");
  cmd->require_subcommand(1);
  auto* schema = cmd->add_subcommand(
      "schema",
      "Print the configuration's JSON Schema (draft-07) on stdout, for editors: "
      "`# yaml-language-server: $schema=<file or URL>` at the top of a configuration file");
  schema->callback([&ctx] {
    ctx.run = [] {
      const auto text = config_schema_text();
      const bool written = std::fwrite(text.data(), 1, text.size(), stdout) == text.size();
      return written && std::fflush(stdout) == 0 ? exit_ok : exit_runtime;
    };
  });
}

}  // namespace visionwatch
