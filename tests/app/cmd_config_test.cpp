// `visionwatch config schema` through the real binary: the schema on stdout, nothing else.
#include <doctest/doctest.h>

#include <string>

#include "daemon/config/config_schema.hpp"
#include "daemon/config/exit_codes.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_paths.hpp"

namespace {

using namespace visionwatch;

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("config schema prints the configuration schema on stdout") {
    const auto r = test::run_process({test::visionwatch_binary().string(), "config", "schema"});
    CHECK(r.exit_code == exit_ok);
    CHECK(r.err.empty());
    CHECK(r.out == config_schema_text());
  }

  TEST_CASE("config without a subcommand is a usage error") {
    const auto r = test::run_process({test::visionwatch_binary().string(), "config"});
    CHECK(r.exit_code == exit_usage);
    CHECK(r.out.find("$schema") == std::string::npos);
  }
}
