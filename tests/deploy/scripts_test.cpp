// The README's two commands are scripts/demo and scripts/test; a wrong path in them is invisible
// to every other test (scripts/demo pointed at build/release/visionwatch, which never existed).
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "tests/support/test_paths.hpp"

namespace test = visionwatch::test;

TEST_SUITE("unit") {
  TEST_CASE("scripts/demo runs the binary where the build puts it") {
    const std::string script = test::read_file(test::source_dir() / "scripts/demo");
    // The same place inside every preset's build tree: daemon/visionwatch.
    const auto relative =
        std::filesystem::relative(test::visionwatch_binary(), test::build_dir()).generic_string();
    CHECK(relative == "daemon/visionwatch");
    CHECK(script.find("exec build/release/" + relative + " demo \"$@\"") != std::string::npos);
  }

  TEST_CASE("scripts/test runs both presets and the CI runs scripts/test") {
    const std::string script = test::read_file(test::source_dir() / "scripts/test");
    for (const char* step : {"build_preset default",
                             "run_tests default",
                             "build_preset debug",
                             "run_tests debug",
                             "scripts/lint --all build/default",
                             "bash scripts/fuzz"}) {
      CAPTURE(step);
      CHECK(script.find(step) != std::string::npos);
    }
    // The lint result fails the run: the script waits for the background run and exits with it.
    CHECK(script.find("exit \"$lint_status\"") != std::string::npos);
    const std::string ci = test::read_file(test::source_dir() / ".ci/run");
    CHECK(ci.find("\nscripts/test\n") != std::string::npos);
    const std::string readme = test::read_file(test::source_dir() / "README.md");
    CHECK(readme.find("\nscripts/demo\n") != std::string::npos);
    CHECK(readme.find("\nscripts/test\n") != std::string::npos);
  }
}
