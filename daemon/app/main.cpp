// visionwatch: keeps probing LLM vision routes with seeded image challenges and exports whether
// the model really saw the image. main() only parses the command line; the work is in the
// subcommands (daemon/cmd_*.cpp).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "daemon/app/commands.hpp"
#include "probes/logging.hpp"
#include "daemon/runtime/version.hpp"

// A function-try-block: building the command line may throw too (CLI11's construction errors,
// bad_alloc), and no exception may leave main.
int main(int argc, char** argv) try {
  using namespace visionwatch;
  CLI::App app{"visionwatch: probes LLM vision routes and proves the model saw the image"};
  app.set_version_flag(
      "--version",
      std::string("visionwatch ") + std::string(version()) + " (" + std::string(revision()) + ")");
  app.require_subcommand(1);
  app.fallthrough();
  cli_context ctx;
  app.add_option("--log-level", ctx.log_level, "trace, debug, info, warn, error, critical, off")
      ->capture_default_str();
  app.add_option("--log-format", ctx.log_format, "text or json (one object per line)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  // Subcommands (one line each; implementations in daemon/cmd_*.cpp).
  add_check_command(app, ctx);
  add_validate_command(app, ctx);
  add_run_command(app, ctx);
  add_demo_command(app, ctx);
  add_challenge_command(app, ctx);
  add_config_command(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help/version (code 0) or the usage error
    return code == 0 ? exit_ok : exit_usage;
  }
  setup_logging(ctx.log_level, ctx.log_format);
  return ctx.run ? ctx.run() : exit_usage;
} catch (const std::exception& e) {
  std::fprintf(stderr, "visionwatch: %s\n", e.what());
  return visionwatch::exit_runtime;
}
