// The systemd unit (systemd/visionwatch.service.in) and the install rules, checked with the tools
// an administrator would use: systemd-analyze verify and security, and cmake --install. Neither
// needs systemd running as PID 1, so these run in CI containers too.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "tests/support/process.hpp"
#include "tests/support/test_paths.hpp"

using namespace visionwatch::test;
namespace fs = std::filesystem;

namespace {

constexpr double max_exposure = 2.0;

/// systemd-analyze from PATH; fails the test with a fix when the systemd package is missing.
std::string systemd_analyze() {
  const auto tool = find_in_path("systemd-analyze");
  REQUIRE_MESSAGE(tool.has_value(),
                  "systemd-analyze is not in PATH: install the systemd package "
                  "(scripts/install-deps)");
  return tool->string();
}

/// The unit as the install rule writes it, with ExecStart in `bindir` (absolute, or under prefix).
fs::path generate_unit(const fs::path& dir, const std::string& prefix, const std::string& bindir) {
  auto output = dir / "visionwatch.service";
  const auto r = run_process(
      {cmake_command().string(),
       "-DVISIONWATCH_UNIT_TEMPLATE=" + (source_dir() / "systemd/visionwatch.service.in").string(),
       "-DVISIONWATCH_UNIT_OUTPUT=" + output.string(),
       "-DVISIONWATCH_UNIT_PREFIX=" + prefix,
       "-DVISIONWATCH_UNIT_BINDIR=" + bindir,
       "-P",
       (source_dir() / "systemd/generate_unit.cmake").string()});
  INFO("cmake -P generate_unit.cmake stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  return output;
}

/// The unit with ExecStart at the binary this build produced, so that verify's check that the
/// executable exists is a real one.
fs::path unit_for_built_binary(const fs::path& dir) {
  return generate_unit(dir, "/usr", visionwatch_binary().parent_path().string());
}

std::string exec_start_line(const std::string& unit) {
  const auto at = unit.find("\nExecStart=");
  REQUIRE(at != std::string::npos);
  const auto end = unit.find('\n', at + 1);
  return unit.substr(at + 1, end - at - 1);
}

/// "→ Overall exposure level for visionwatch.service: 1.2 OK 🙂" → 1.2
std::optional<double> overall_exposure(const std::string& report) {
  const auto at = report.find("Overall exposure level for ");
  if (at == std::string::npos) {
    return std::nullopt;
  }
  const auto colon = report.find(": ", at);
  if (colon == std::string::npos) {
    return std::nullopt;
  }
  const char* begin = report.c_str() + colon + 2;
  char* end = nullptr;
  const double value = std::strtod(begin, &end);
  if (end == begin) {
    return std::nullopt;
  }
  return value;
}

process_result verify(const fs::path& unit) {
  // --man=no: no man pages in CI images; --recursive-errors=no: judge our unit, not the host's
  // targets it is ordered after.
  return run_process(
      {systemd_analyze(), "verify", "--man=no", "--recursive-errors=no", unit.string()});
}

process_result security(const fs::path& unit) {
  return run_process({systemd_analyze(), "security", "--offline=true", unit.string()});
}

void write_file(const fs::path& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(std::fwrite(text.data(), 1, text.size(), f) == text.size());
  std::fclose(f);
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("the generated unit runs the binary from the bin directory with the /etc config") {
    const auto dir = make_temp_dir("vw-unit");
    const auto unit = read_file(generate_unit(dir, "/usr", "bin"));
    CHECK(exec_start_line(unit) ==
          "ExecStart=/usr/bin/visionwatch run --config /etc/visionwatch/visionwatch.yaml");
    CHECK(unit.find("@VISIONWATCH") == std::string::npos);  // every @VAR@ was substituted
    CHECK(exec_start_line(read_file(generate_unit(dir, "/opt/vw/", "sbin/"))) ==
          "ExecStart=/opt/vw/sbin/visionwatch run --config /etc/visionwatch/visionwatch.yaml");
    fs::remove_all(dir);
  }

  TEST_CASE("systemd-analyze verify accepts the unit without printing a single warning") {
    const auto dir = make_temp_dir("vw-unit");
    const auto unit = unit_for_built_binary(dir);
    const auto r = verify(unit);
    // verify may exit 0 after printing "Unknown key ..., ignoring": any stderr is a failure.
    INFO("systemd-analyze verify stderr:\n" << r.err);
    CHECK(r.err.empty());
    CHECK(r.exit_code == 0);
    fs::remove_all(dir);
  }

  TEST_CASE("systemd-analyze verify reports a misspelt setting on stderr") {
    // Proves the check above can fail: the same unit with one typo must not pass.
    const auto dir = make_temp_dir("vw-unit");
    const auto unit_path = unit_for_built_binary(dir);
    auto unit = read_file(unit_path);
    const auto at = unit.find("WatchdogSec=");
    REQUIRE(at != std::string::npos);
    unit.insert(at, "WatchdogSecs=30s\n");
    write_file(unit_path, unit);
    const auto r = verify(unit_path);
    CHECK(r.err.find("WatchdogSecs") != std::string::npos);
    fs::remove_all(dir);
  }

  TEST_CASE("systemd-analyze security rates the unit's exposure 2.0 or lower") {
    const auto dir = make_temp_dir("vw-unit");
    const auto r = security(unit_for_built_binary(dir));
    INFO("systemd-analyze security output:\n" << r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    const auto exposure = overall_exposure(r.out);
    REQUIRE(exposure.has_value());
    CHECK(*exposure <= max_exposure);
    MESSAGE("overall exposure: " << *exposure);
    fs::remove_all(dir);
  }

  TEST_CASE("an unhardened unit rates above 2.0 - so the exposure check can fail") {
    const auto dir = make_temp_dir("vw-unit");
    const auto unit = dir / "plain.service";
    write_file(unit,
               "[Service]\nType=notify\nExecStart=" + visionwatch_binary().string() + " run\n");
    const auto r = security(unit);
    INFO("systemd-analyze security output:\n" << r.out << r.err);
    const auto exposure = overall_exposure(r.out);
    REQUIRE(exposure.has_value());
    CHECK(*exposure > max_exposure);
    fs::remove_all(dir);
  }

  TEST_CASE("cmake --install places the binary - the unit and the example config for the prefix") {
    // One test case, subcases run one after another: cmake --install writes install_manifest.txt
    // into the build tree, so two installs must not run in parallel.
    const auto root = make_temp_dir("vw-install");
    const auto install = [&](const std::string& prefix) {
      const auto r = run_process(
          {cmake_command().string(), "--install", build_dir().string(), "--prefix", prefix},
          {"DESTDIR=" + root.string()});
      INFO("cmake --install stdout:\n" << r.out << "\nstderr:\n" << r.err);
      REQUIRE(r.exit_code == 0);
    };

    SUBCASE("prefix /usr: unit in /usr/lib/systemd/system, example config in /etc/visionwatch") {
      install("/usr");
      const auto binary = root / "usr/bin/visionwatch";
      CHECK(fs::is_regular_file(binary));
      CHECK((fs::status(binary).permissions() & fs::perms::owner_exec) != fs::perms::none);
      const auto unit = root / "usr/lib/systemd/system/visionwatch.service";
      REQUIRE(fs::is_regular_file(unit));
      // The prefix given to cmake --install, not the one the tree was configured with.
      CHECK(exec_start_line(read_file(unit)) ==
            "ExecStart=/usr/bin/visionwatch run --config /etc/visionwatch/visionwatch.yaml");
      CHECK(fs::is_regular_file(root / "etc/visionwatch/visionwatch.yaml.example"));
      CHECK(read_file(root / "etc/visionwatch/visionwatch.yaml.example") ==
            read_file(source_dir() / "examples/visionwatch.yaml"));

      // systemd finds the installed unit by name in its standard search path.
      const auto r = run_process({systemd_analyze(),
                                  "security",
                                  "--offline=true",
                                  "--root=" + root.string(),
                                  "visionwatch.service"});
      INFO("systemd-analyze security --root output:\n" << r.out << r.err);
      CHECK(r.exit_code == 0);
      const auto exposure = overall_exposure(r.out);
      REQUIRE(exposure.has_value());
      CHECK(*exposure <= max_exposure);
    }

    SUBCASE("prefix /usr/local: everything under the prefix") {
      install("/usr/local");
      CHECK(fs::is_regular_file(root / "usr/local/bin/visionwatch"));
      const auto unit = root / "usr/local/lib/systemd/system/visionwatch.service";
      REQUIRE(fs::is_regular_file(unit));
      CHECK(exec_start_line(read_file(unit)) ==
            "ExecStart=/usr/local/bin/visionwatch run --config /etc/visionwatch/visionwatch.yaml");
      CHECK(fs::is_regular_file(root / "usr/local/etc/visionwatch/visionwatch.yaml.example"));
    }
    fs::remove_all(root);
  }
}
