// End to end with a real Prometheus scraping the real daemon, and promtool linting a live scrape.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "daemon/sim/demo.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/exported_metrics.hpp"
#include "tests/support/process.hpp"
#include "tests/support/prometheus_server.hpp"

namespace prometheus_test {

namespace {

using namespace visionwatch::e2e_test_names;

const std::vector<vt::test_route> routes = {
    {"healthy", "vision-healthy", "digits"},
    {"drops-image-says-so", "vision-drops-image-says-so", "count"},
};

struct daemon_fixture {
  visionwatch::demo_gateway gw;
  std::filesystem::path dir = vt::make_temp_dir("vw-prom");
  std::unique_ptr<vt::daemon_process> proc;

  daemon_fixture() {
    gw.start();
    vt::write_text(dir / "config.yaml",
                   vt::with_state_dir(vt::e2e_config(gw.base_url(), routes), dir / "state"));
    proc = std::make_unique<vt::daemon_process>(
        std::vector<std::string>{
            "run", "--config", (dir / "config.yaml").string(), "--listen", "127.0.0.1:0"},
        dir / "daemon.log");
    REQUIRE(proc->wait_ready(vt::after(20s)));
  }
  ~daemon_fixture() {
    proc.reset();
    gw.stop();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE("Prometheus scrapes the silent failures of a dropping route and a healthy success") {
    if (!vt::find_in_path("prometheus")) {
      FAIL("prometheus is not installed (scripts/install-deps installs it)");
    }
    daemon_fixture d;
    vt::prometheus_server prom(d.dir, {d.proc->port()});
    const bool increased = vt::wait_until(vt::after(45s), [&] {
      return !prom.query(
                      "sum(increase(visionwatch_silent_failures_total{route=\"drops-image-says-"
                      "so\"}[5m])) > 0")
                  .empty();
    });
    INFO(prom.log_tail());
    CHECK(increased);
    const auto up = prom.query("up{job=\"visionwatch\"}");
    REQUIRE(up.size() == 1);
    CHECK(up[0]["value"][1] == "1");
    const bool healthy = vt::wait_until(vt::after(30s), [&] {
      return !prom.query("visionwatch_probe_success{route=\"healthy\"} == 1").empty();
    });
    CHECK(healthy);
    CHECK(prom.query("visionwatch_build_info").size() == 1);
    prom.stop();
  }

  TEST_CASE("promtool check metrics finds nothing to complain about in a live scrape") {
    if (!vt::find_in_path("promtool")) {
      FAIL("promtool is not installed (scripts/install-deps installs it)");
    }
    daemon_fixture d;
    REQUIRE(vt::wait_until(vt::after(30s), [&] {
      const auto v =
          vt::metric_value(d.proc->get("/metrics").body,
                           "visionwatch_probes_total",
                           {{"route", "drops-image-says-so"}, {"outcome", "no_image_claim"}});
      return v && *v >= 1;
    }));
    const auto scrape = d.proc->get("/metrics");
    REQUIRE(scrape.status == 200);
    vt::write_text(d.dir / "scrape.txt", scrape.body);
    const auto r = vt::run_process(
        {"sh", "-c", "promtool check metrics < '" + (d.dir / "scrape.txt").string() + "'"});
    INFO(r.out);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.empty());
    CHECK(r.err.empty());
  }
}

}  // namespace prometheus_test
