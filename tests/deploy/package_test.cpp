// scripts/package's .deb, installed for real: lintian has no error for it, dpkg -i puts a working
// binary, the conffiles and a unit systemd-analyze accepts, dpkg -r leaves only the conffiles
// and dpkg -P nothing. Needs root (skipped otherwise) and a machine without visionwatch; the
// package is purged at the end even when a check fails.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/runtime/version.hpp"
#include "tests/deploy/deploy_support.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_paths.hpp"

namespace {

namespace fs = std::filesystem;
namespace test = visionwatch::test;

constexpr const char* package = "visionwatch";
const fs::path conffile = "/etc/visionwatch/visionwatch.yaml";

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      out.push_back(line);
    }
  }
  return out;
}

/// One line per element, for comparisons doctest can print.
std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += item + "\n";
  }
  return out;
}

/// dpkg's view of the package: "" when dpkg has never heard of it (or it was purged), else the
/// status ("install ok installed", "deinstall ok config-files", ...).
std::string package_status() {
  const auto r = test::run_process({"dpkg-query", "-W", "-f=${Status}", package});
  return r.exit_code == 0 && r.out.find("not-installed") == std::string::npos ? r.out : "";
}

/// True when dpkg lists a package other than visionwatch as an owner of `path`.
bool owned_by_another_package(const std::string& path) {
  // "systemd, lintian, nginx-common: /lib/systemd/system"
  const auto r = test::run_process({"dpkg-query", "--search", path});
  for (const auto& line : lines(r.out)) {
    const auto colon = line.rfind(": " + path);
    std::istringstream owners(line.substr(0, colon == std::string::npos ? 0 : colon));
    for (std::string owner; std::getline(owners >> std::ws, owner, ',');) {
      if (owner != package) {
        return true;
      }
    }
  }
  return false;
}

/// What on this machine the test would overwrite or remove, or "" when nothing.
std::string visionwatch_already_here() {
  if (const auto status = package_status(); !status.empty()) {
    return "visionwatch is already known to dpkg (" + status + ")";
  }
  for (const fs::path p : {"/usr/bin/visionwatch",
                           "/etc/visionwatch",
                           "/lib/systemd/system/visionwatch.service",
                           "/usr/lib/systemd/system/visionwatch.service",
                           "/usr/share/visionwatch"}) {
    if (fs::exists(fs::symlink_status(p))) {
      return p.string() + " exists outside dpkg (a cmake --install?)";
    }
  }
  return "";
}

/// Purges the package and removes the work directory when the test ends, however it ends.
struct cleanup {
  fs::path dir;
  ~cleanup() {
    if (!package_status().empty()) {
      const auto r = test::run_process({"dpkg", "--purge", package});
      if (r.exit_code != 0) {
        MESSAGE("cleanup: dpkg --purge visionwatch failed: " << test::process_report(r));
      }
    }
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
};

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE("the deb passes lintian - installs - runs - verifies and removes without a trace") {
    if (geteuid() != 0) {
      WARN_MESSAGE(false, "skipped: not root - dpkg -i needs root (CI runs the tests as root)");
      return;
    }
    // Fails before touching anything: the test would replace or purge what is installed.
    if (const auto found = visionwatch_already_here(); !found.empty()) {
      FAIL("this machine already has visionwatch: " << found
                                                    << " - remove it (dpkg -P visionwatch) first");
    }
    const cleanup guard{test::make_temp_dir("vw-package")};

    // Packages the tree these tests were built in (the same install rules as the release preset,
    // without a second build): scripts/package --build-dir.
    const auto built = test::run_process({(test::source_dir() / "scripts/package").string(),
                                          "--build-dir",
                                          test::build_dir().string(),
                                          "--output",
                                          guard.dir.string(),
                                          "--no-lintian"},
                                         {},
                                         std::chrono::minutes(5));
    INFO("scripts/package: " << test::process_report(built));
    REQUIRE(built.exit_code == 0);
    const auto out = lines(built.out);
    REQUIRE(out.size() == 1);  // the path of the .deb, nothing else on stdout
    const fs::path deb = out.front();
    const auto arch = lines(test::run_process({"dpkg", "--print-architecture"}).out);
    REQUIRE(arch.size() == 1);
    CHECK(deb.filename() ==
          "visionwatch_" + std::string(visionwatch::version()) + "_" + arch.front() + ".deb");
    REQUIRE(fs::is_regular_file(deb));

    {  // the control data: Depends from dpkg-shlibdeps, the section, the conffile
      const auto fields = test::run_process({"dpkg-deb", "--field", deb.string()});
      INFO(test::process_report(fields));
      CHECK(fields.out.find("\nDepends: ") != std::string::npos);
      CHECK(fields.out.find("libc6 (>= ") != std::string::npos);  // versioned: shlibdeps, not typed
      CHECK(fields.out.find("\nSection: net\n") != std::string::npos);
    }
    // Every file under /etc, no other: the configuration and the image its example probe reads.
    const auto conffiles =
        lines(test::run_process({"dpkg-deb", "--info", deb.string(), "conffiles"}).out);
    CHECK(joined(conffiles) ==
          "/etc/visionwatch/probe-images/red-octagon.png\n/etc/visionwatch/visionwatch.yaml\n");

    {  // lintian: warnings are listed, errors fail
      const auto r = test::run_process(
          {"lintian", "--no-tag-display-limit", deb.string()}, {}, std::chrono::minutes(3));
      INFO("lintian: " << test::process_report(r));
      REQUIRE(r.exit_code >= 0);  // it ran (exit 1 means an error tag, checked line by line)
      std::vector<std::string> errors;
      for (const auto& line : lines(r.out)) {
        if (line.starts_with("E: ")) {
          errors.push_back(line);
        }
      }
      CHECK(errors.empty());
      if (!r.out.empty()) {
        MESSAGE("lintian:\n" << r.out);
      }
    }

    {  // dpkg -i, the installed files at work, dpkg -r, dpkg -P
      const auto installed = test::run_process({"dpkg", "--install", deb.string()},
                                               {"DEBIAN_FRONTEND=noninteractive"});
      INFO("dpkg -i: " << test::process_report(installed));
      REQUIRE(installed.exit_code == 0);
      REQUIRE(package_status() == "install ok installed");

      const auto version = test::run_process({"/usr/bin/visionwatch", "--version"});
      INFO("visionwatch --version: " << test::process_report(version));
      CHECK(version.exit_code == 0);
      CHECK(version.out.starts_with("visionwatch " + std::string(visionwatch::version())));

      const auto validated =
          test::run_process({"/usr/bin/visionwatch", "validate", "-c", conffile.string()});
      INFO("visionwatch validate: " << test::process_report(validated));
      CHECK(validated.exit_code == 0);
      // The conffile is the annotated example; its editor modeline names the installed schema.
      auto example = test::read_file(test::source_dir() / "examples/visionwatch.yaml");
      const std::string source_schema = "$schema=../docs/visionwatch.schema.json";
      const auto at = example.find(source_schema);
      REQUIRE(at != std::string::npos);
      example.replace(at, source_schema.size(), "$schema=/usr/share/visionwatch/visionwatch.schema.json");
      CHECK(test::read_file(conffile) == example);

      const fs::path unit = "/lib/systemd/system/visionwatch.service";
      CHECK(test::read_file(unit).find("\nExecStart=/usr/bin/visionwatch run --config "
                                       "/etc/visionwatch/visionwatch.yaml\n") != std::string::npos);
      // --man=no and --recursive-errors=no as in tests/app/systemd_unit_test.cpp: judge the unit,
      // not the host's man pages or the targets it is ordered after.
      const auto verified = test::run_process(
          {"systemd-analyze", "verify", "--man=no", "--recursive-errors=no", unit.string()});
      INFO("systemd-analyze verify: " << test::process_report(verified));
      CHECK(verified.exit_code == 0);
      CHECK(verified.err.empty());

      for (const fs::path p : {"/usr/share/visionwatch/grafana/visionwatch.json",
                               "/usr/share/visionwatch/prometheus/visionwatch.rules.yml",
                               "/usr/share/visionwatch/visionwatch.schema.json",
                               "/usr/share/doc/visionwatch/copyright",
                               "/usr/share/doc/visionwatch/README.md"}) {
        CHECK_MESSAGE(fs::is_regular_file(p), p);
      }

      const auto listed = test::run_process({"dpkg", "--listfiles", package});
      REQUIRE(listed.exit_code == 0);
      const auto owned = lines(listed.out);
      REQUIRE(owned.size() > 10);

      const auto removed = test::run_process({"dpkg", "--remove", package});
      INFO("dpkg -r: " << test::process_report(removed));
      REQUIRE(removed.exit_code == 0);
      CHECK(package_status() == "deinstall ok config-files");
      // What is still there: the conffiles, their directories, and directories other packages own
      // (/lib is usrmerge's symlink to a directory).
      std::vector<std::string> left;
      for (const auto& path : owned) {
        if (path == "/." || !fs::exists(fs::symlink_status(path))) {
          continue;
        }
        const bool is_conffile =
            std::find(conffiles.begin(), conffiles.end(), path) != conffiles.end();
        if (is_conffile || path == "/etc/visionwatch" || path == "/etc/visionwatch/probe-images") {
          continue;
        }
        if (fs::is_directory(path) && owned_by_another_package(path)) {
          continue;
        }
        left.push_back(path);
      }
      CHECK(joined(left) == "");
      for (const auto& path : conffiles) {
        CHECK_MESSAGE(fs::is_regular_file(path), path);  // dpkg -r keeps the admin's configuration
      }

      const auto purged = test::run_process({"dpkg", "--purge", package});
      INFO("dpkg -P: " << test::process_report(purged));
      REQUIRE(purged.exit_code == 0);
      CHECK(package_status().empty());
      CHECK_FALSE(fs::exists(conffile.parent_path()));
    }
  }
}
