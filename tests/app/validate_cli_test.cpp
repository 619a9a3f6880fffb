// Runs the real `visionwatch validate` binary: exit codes, where output goes, and that secret
// values never reach stdout or stderr.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "daemon/app/commands.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_paths.hpp"

namespace {

namespace fs = std::filesystem;
using namespace visionwatch;

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("validate accepts the example with exit 0 and its one-line summary first on stdout") {
    const auto example = (test::source_dir() / "examples/visionwatch.yaml").string();
    const auto r = test::run_visionwatch({"validate", "--config", example});
    CHECK(r.exit_code == exit_ok);
    CHECK(r.out.starts_with(example + ": valid (2 gateways, 4 routes, 2 receivers)\n"));
    CHECK(r.err.empty());
  }

  TEST_CASE("validate reports every error on stderr and exits 2") {
    const auto dir = test::make_temp_dir("vw-validate");
    const auto file = (dir / "bad.yaml").string();
    write(file,
          "gateways:\n"
          "  - {name: gw, base_url: \"https://gw/v1\"}\n"
          "routes:\n"
          "  - {name: r1, gateway: gw, model: m, interval: 5x}\n"
          "  - {name: r2, gateway: nope, model: m}\n");
    const auto r = test::run_visionwatch({"validate", "--config", file});
    CHECK(r.exit_code == exit_config);
    CHECK(r.out.empty());
    CHECK(r.err == file + ":4: routes[0].interval: \"5x\" is not a duration (use 30s, 5m, 1h)\n" +
                       file + ":5: routes[1].gateway: unknown gateway \"nope\" (defined: gw)\n" +
                       file + ": invalid (2 errors)\n");
    const auto missing =
        test::run_visionwatch({"validate", "--config", (dir / "none.yaml").string()});
    CHECK(missing.exit_code == exit_config);
    CHECK(missing.err.find("cannot read: No such file or directory") != std::string::npos);
    fs::remove_all(dir);
  }

  TEST_CASE("validate --help describes the command and a missing --config is a usage error") {
    const auto help = test::run_visionwatch({"validate", "--help"});
    CHECK(help.exit_code == exit_ok);
    CHECK(help.out.find("--config") != std::string::npos);
    const auto usage = test::run_visionwatch({"validate"});
    CHECK(usage.exit_code == exit_usage);
    CHECK(usage.err.find("--config is required") != std::string::npos);
  }

  TEST_CASE("validate never prints secret values from env or files") {
    const std::string secret = "sk-VWTESTSECRET-0123456789";
    const auto dir = test::make_temp_dir("vw-validate");
    write(dir / "key", secret + "\n");
    REQUIRE(setenv("VW_TEST_LEAK", secret.c_str(), 1) == 0);
    const auto file = (dir / "leaky.yaml").string();
    write(file,
          "global: {listen: \"${VW_TEST_LEAK}\"}\n"
          "gateways:\n"
          "  - {name: gw, base_url: \"${VW_TEST_LEAK}\", api_key_env: VW_TEST_LEAK}\n"
          "  - {name: gx, base_url: \"https://x/\", api_key_file: key, max_body: "
          "\"${VW_TEST_LEAK}\"}\n"
          "routes:\n"
          "  - {name: \"${VW_TEST_LEAK} r\", gateway: gw, model: m, window: \"${VW_TEST_LEAK}\"}\n"
          "receivers:\n"
          "  - {name: s, type: slack, url_env: VW_TEST_LEAK}\n");
    const auto r = test::run_visionwatch({"validate", "--config", file});
    unsetenv("VW_TEST_LEAK");
    CHECK(r.exit_code == exit_config);
    CHECK(r.err.find("invalid (") != std::string::npos);
    CHECK(r.out.find("VWTESTSECRET") == std::string::npos);
    CHECK(r.err.find("VWTESTSECRET") == std::string::npos);
    fs::remove_all(dir);
  }
}
