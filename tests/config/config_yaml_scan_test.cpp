#include "daemon/config/config_yaml_scan.hpp"

#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <string>

#include "daemon/config/config.hpp"
#include "daemon/config/config_document.hpp"
#include "tests/config/config_test_support.hpp"

using namespace visionwatch;
using namespace visionwatch::config_testing;
using config_reading::yaml_size;
using config_reading::yaml_too_large;

namespace {

/// "[1,1,...]" with `n` scalars: two bytes a node, the cheapest file per tree node.
std::string flow_list(std::size_t n) {
  std::string s = "x-flood: [";
  s.reserve(2 * n + 16);
  for (std::size_t i = 0; i < n; ++i) {
    s += i == 0 ? "1" : ",1";
  }
  return s + "]\n";
}

/// How much a child process's peak RSS (KiB) grows while it parses `text` as a configuration.
long child_peak_rss_kib(const std::string& text, bool& refused) {
  std::array<int, 2> pipe_fds{};
  REQUIRE(::pipe(pipe_fds.data()) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The child starts with the parent's pages (a sanitizer's shadow memory too): its growth
    // while parsing is what the parse costs.
    ::close(pipe_fds[0]);
    struct rusage before {};
    ::getrusage(RUSAGE_SELF, &before);
    const auto r = parse_config(text, "config.yaml");
    struct rusage after {};
    ::getrusage(RUSAGE_SELF, &after);
    const std::array<long, 2> report = {r.errors.empty() ? 0L : 1L,
                                        after.ru_maxrss - before.ru_maxrss};
    (void)!::write(pipe_fds[1], report.data(), sizeof report);
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::array<long, 2> report = {0, -1};
  REQUIRE(::read(pipe_fds[0], report.data(), sizeof report) ==
          static_cast<ssize_t>(sizeof report));
  ::close(pipe_fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  refused = report[0] == 1;
  return report[1];
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the scan counts written and expanded nodes from the parser's events") {
    yaml_size size;
    CHECK_FALSE(yaml_too_large("a: &x [1, 2]\nb: *x\n", 100, 100, &size));
    // map, a, [ , 1, 2, b, *x  as written; the alias expands to the three nodes of [1, 2].
    CHECK(size.written == 7);
    CHECK(size.expanded == 9);
    CHECK_FALSE(yaml_too_large("", 100, 100, &size));
    CHECK(size.written == 0);
  }

  TEST_CASE("the scan stops at the first limit and names it") {
    const auto written = yaml_too_large(flow_list(1'000), 500, 10'000);
    REQUIRE(written);
    CHECK(*written == "the document has more than 500 YAML nodes (scalars, lists and maps)");
    const std::string laughs =
        "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n";
    const auto expanded = yaml_too_large(laughs, 500, 5'000);
    REQUIRE(expanded);
    CHECK(*expanded ==
          "the document expands to more than 5000 YAML nodes (an alias counts each time it is "
          "used)");
    CHECK_FALSE(yaml_too_large(laughs, 500, 20'000));
  }

  TEST_CASE("a syntax error is left to the loader with its line") {
    CHECK_FALSE(yaml_too_large("a: [1, 2\nb: {", 100, 100));
    const auto errors = errors_of("global: {}\nroutes: [1, 2\n");
    REQUIRE_FALSE(errors.empty());
    CHECK(errors[0].find("YAML syntax error") != std::string::npos);
  }
}

TEST_SUITE("integration") {
  TEST_CASE("a 4 MiB flow list is refused from its events before a tree is built") {
    // Two million nodes in under 4 MiB: yaml-cpp's tree would take about a gigabyte.
    const std::string flood = flow_list(2'000'000) + base;
    REQUIRE(flood.size() < std::size_t{4} * 1024 * 1024);
    const auto errors = errors_of(flood);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0] == "config.yaml: the document has more than " +
                           std::to_string(config_reading::max_written_nodes) +
                           " YAML nodes (scalars, lists and maps)");
    bool refused = false;
    const long peak_kib = child_peak_rss_kib(flood, refused);
    CHECK(refused);
    MESSAGE("peak RSS growth of the refusing parse: ", peak_kib / 1024, " MiB");
    CHECK(peak_kib < 200L * 1024);
  }
}
