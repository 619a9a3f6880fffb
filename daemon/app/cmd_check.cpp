// `visionwatch check`: the command line; the work is daemon/check/check_run.cpp.
#include <CLI/CLI.hpp>
#include <memory>

#include "daemon/app/commands.hpp"
#include "daemon/check/check_run.hpp"

namespace visionwatch {

void add_check_command(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<check_options>();
  auto* cmd = app.add_subcommand(
      "check", "Probe every route N times now and print a scorecard (exit 0 only if all pass)");
  cmd->add_option("-c,--config", o->config_path, "Configuration file (YAML or JSON)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-n,--probes", o->probes, "Image probes per route and shape")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("-r,--route", o->routes, "Only this route (repeatable)");
  cmd->add_option("-o,--output", o->output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->add_option("--min-success",
                  o->min_success,
                  "Share of probes per route that must be ok for the route to pass (0..1)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--seed",
                  o->seed,
                  "Draw the same challenges on every run (each route's probes still differ); "
                  "default: a fresh random seed per run");
  cmd->add_option("--media-listen",
                  o->media_listen,
                  "For media: remote_url routes: serve challenge images on this address "
                  "(host:port); default 127.0.0.1 on a free port");
  cmd->add_option("--media-base-url",
                  o->media_base_url,
                  "With --media-listen: the URL gateways fetch images from (.../media/); "
                  "default global.media_base_url, else the listen address");
  add_shard_option(*cmd, o->shard);
  cmd->callback([o, &ctx] { ctx.run = [o] { return run_check(*o); }; });
}

}  // namespace visionwatch
