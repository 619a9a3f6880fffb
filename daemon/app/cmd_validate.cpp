// `visionwatch validate --config FILE [--shard i/n]`: loads the configuration exactly as `run`
// would (secrets and image files included) and reports every error at once. Exit 0, a one-line
// summary, the routes the shard owns (with a shard) and the projected daily probes and spend per
// gateway of those routes on stdout when valid; exit 2 with one line per error on stderr otherwise.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "daemon/app/commands.hpp"
#include "daemon/config/config.hpp"
#include "daemon/config/config_capacity.hpp"
#include "daemon/runtime/spend_projection.hpp"

namespace visionwatch {
namespace {

std::string counted(std::size_t n, const char* singular, const char* plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

struct validate_options {
  std::string path;
  std::optional<shard_spec> shard;
};

int run_validate(const validate_options& o) {
  const auto& path = o.path;
  auto result = load_config(path);
  if (!result.value) {
    for (const auto& e : result.errors) {
      std::fprintf(stderr, "%s\n", e.to_string().c_str());
    }
    std::fprintf(stderr,
                 "%s: invalid (%s)\n",
                 path.c_str(),
                 counted(result.errors.size(), "error", "errors").c_str());
    return exit_config;
  }
  const auto configured = result.value->routes.size();
  // What this instance would run: with a shard, its routes only (capacity and spend too).
  const auto c = select_shard(std::move(*result.value), o.shard);
  // Warnings do not make the file invalid: the daemon runs it and skips what it cannot start.
  for (const auto& shortfall : capacity_shortfalls(c)) {
    std::fprintf(stderr, "%s: warning: %s\n", path.c_str(), capacity_warning(shortfall).c_str());
  }
  std::printf("%s: valid (%s, %s, %s)\n",
              path.c_str(),
              counted(c.gateways.size(), "gateway", "gateways").c_str(),
              counted(configured, "route", "routes").c_str(),
              counted(c.receivers.size(), "receiver", "receivers").c_str());
  if (o.shard || c.global.shard.count > 1) {
    std::printf("shard %s owns %zu of %s:\n",
                to_string(c.global.shard).c_str(),
                c.routes.size(),
                counted(configured, "route", "routes").c_str());
    for (const auto& r : c.routes) {
      std::printf("  %s\n", r.name.c_str());
    }
  }
  const auto projections = project_daily_spend(c);
  for (const auto& warning : projection_warnings(c, projections)) {
    std::fprintf(stderr, "%s: warning: %s\n", path.c_str(), warning.c_str());
  }
  std::printf("projected per day (typical tokens of each route's challenge, route prices):\n");
  for (const auto& p : projections) {
    std::printf("  %s\n", projection_line(p).c_str());
  }
  return exit_ok;
}

}  // namespace

void add_validate_command(CLI::App& app, cli_context& ctx) {
  auto* cmd = app.add_subcommand(
      "validate",
      "Check a configuration file (syntax, values, references, secrets, image files) and report "
      "every error. Exit 0 when valid, 2 when not.");
  auto o = std::make_shared<validate_options>();
  cmd->add_option("-c,--config", o->path, "configuration file (YAML or JSON)")->required();
  add_shard_option(*cmd, o->shard);
  cmd->callback([&ctx, o] { ctx.run = [o] { return run_validate(*o); }; });
}

}  // namespace visionwatch
