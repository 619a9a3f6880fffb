// `visionwatch demo`: the daemon on an embedded configuration against a built-in simulated
// gateway on loopback, with seven routes (one on a native API flavour) that show the failures
// visionwatch exists to catch.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "daemon/app/commands.hpp"
#include "daemon/config/config.hpp"
#include "daemon/runtime/service.hpp"
#include "daemon/sim/demo.hpp"

namespace visionwatch {
namespace {

/// Removes the demo's temporary state directory when the demo ends, however it ends: a demo
/// leaves nothing behind (no state/ in the working tree, nothing in /tmp).
struct temp_dir_guard {
  std::filesystem::path dir;
  temp_dir_guard() = default;
  temp_dir_guard(const temp_dir_guard&) = delete;
  temp_dir_guard& operator=(const temp_dir_guard&) = delete;
  ~temp_dir_guard() {
    if (!dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }
};

int run_demo(demo_settings o) {
  temp_dir_guard temp;
  if (o.state_dir.empty()) {
    std::string dir = (std::filesystem::temp_directory_path() / "visionwatch-demo-XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr) {
      spdlog::critical("cannot create a temporary state directory");
      return exit_runtime;
    }
    o.state_dir = dir;
    temp.dir = dir;
  }
  demo_gateway gateway;
  gateway.start();
  const std::string text = demo_config_yaml(gateway.base_url(), o);
  auto loaded = parse_config(text, "<demo>");
  if (!loaded.value) {  // set exactly when there are no errors
    for (const auto& e : loaded.errors) {
      std::cerr << e.to_string() << '\n';
    }
    return exit_usage;
  }
  net::io_context io(1);
  service svc(io, std::move(*loaded.value), service_options{});
  try {
    svc.start();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start the demo: {} (try --listen 127.0.0.1:0)", e.what());
    return exit_runtime;
  }
  const auto url = svc.admin_url();
  std::printf(
      "\nvisionwatch demo: nine routes behind a simulated gateway at %s\n"
      "  healthy               reads the image and answers right\n"
      "  drops-image-says-so   HTTP 200, \"No image provided.\"      -> no_image_claim\n"
      "  drops-image-guesses   HTTP 200, a confident guess           -> wrong_answer\n"
      "  slow                  right, but takes 2 to 6 s\n"
      "  flaky                 right, but 1 request in 3 fails (503, reset, 429)\n"
      "  breaks-and-heals      drops the image for 2 minutes, then heals for 2 minutes\n"
      "  native-anthropic      healthy, over the Anthropic Messages API (api: "
      "anthropic-messages)\n"
      "  breaks-with-tools     shapes plain and tools: loses the image only when the request\n"
      "                        declares a tool -> green for plain, red for tools\n\n"
      "  status page  %s\n  metrics      %smetrics\n  API          %sapi/v1/routes\n\n"
      "Every route is probed every %s; results show within a minute. Ctrl-C stops.\n\n",
      gateway.base_url().c_str(),
      url.c_str(),
      url.c_str(),
      url.c_str(),
      o.interval.c_str());
  std::fflush(stdout);
  io.run();
  gateway.stop();
  return svc.exit_code();
}

}  // namespace

void add_demo_command(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<demo_settings>();
  auto* cmd = app.add_subcommand(
      "demo", "Run the daemon against a built-in simulated gateway (no API key needed)");
  cmd->add_option("--listen", o->listen, "Admin listen address")->capture_default_str();
  cmd->add_option("--interval", o->interval, "Probe interval of the demo routes")
      ->capture_default_str();
  cmd->add_option("--webhook", o->webhook_url, "Also send alerts to this generic webhook URL");
  cmd->add_option("--alertmanager",
                  o->alertmanager_url,
                  "Also push alerts to this Alertmanager (e.g. http://127.0.0.1:9093)");
  cmd->add_option("--state-dir", o->state_dir, "State directory (default: a new temporary one)");
  cmd->callback([o, &ctx] { ctx.run = [o] { return run_demo(*o); }; });
}

}  // namespace visionwatch
