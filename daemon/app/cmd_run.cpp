// `visionwatch run`: the daemon.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <iostream>

#include "daemon/admin/admin_server.hpp"
#include "daemon/app/commands.hpp"
#include "daemon/config/config.hpp"
#include "daemon/runtime/service.hpp"

namespace visionwatch {
namespace {

struct run_options {
  std::string config_path;
  std::string listen;
  std::optional<shard_spec> shard;
};

int run_daemon(const run_options& o) {
  auto loaded = load_config(o.config_path);
  // load_config sets value only without errors; testing the optional itself lets the checks
  // below dereference it (as cmd_validate does).
  if (!loaded.value || !loaded.errors.empty()) {
    for (const auto& e : loaded.errors) {
      std::cerr << e.to_string() << '\n';
    }
    std::cerr << "visionwatch: " << loaded.errors.size()
              << " configuration error(s); not starting\n";
    return exit_config;
  }
  // --listen bypasses configuration validation, so it gets the same checks here: a usable
  // address, and a bearer token before mutating endpoints are reachable off this machine.
  if (!o.listen.empty()) {
    const auto parsed = parse_listen_endpoint(o.listen);
    if (!parsed.endpoint) {
      std::cerr << "visionwatch: --listen: " << parsed.error << '\n';
      return exit_usage;
    }
    if (!parsed.endpoint->address().is_loopback() && loaded.value->global.admin_token.empty()) {
      std::cerr << "visionwatch: --listen " << o.listen
                << " is not a loopback address, so the configuration needs "
                   "global.admin_token_env, admin_token_file or admin_token_credential\n";
      return exit_usage;
    }
  }
  net::io_context io(1);
  service_options opts;
  opts.config_path = o.config_path;
  if (!o.listen.empty()) {
    opts.listen = o.listen;
  }
  opts.shard = o.shard;
  service svc(io, std::move(*loaded.value), std::move(opts));
  try {
    svc.start();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return exit_runtime;
  }
  io.run();
  return svc.exit_code();
}

}  // namespace

void add_run_command(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<run_options>();
  auto* cmd = app.add_subcommand("run",
                                 "Run the daemon: probe every route on schedule, serve "
                                 "/metrics, the API and the status page");
  cmd->add_option("-c,--config", o->config_path, "Configuration file (YAML or JSON)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option(
      "--listen",
      o->listen,
      "Admin listen address, overrides global.listen (e.g. 127.0.0.1:9464, [::1]:9464)");
  add_shard_option(*cmd, o->shard);
  cmd->callback([o, &ctx] { ctx.run = [o] { return run_daemon(*o); }; });
}

}  // namespace visionwatch
