// End to end with a real Prometheus scraping the real daemon, and promtool linting a live scrape.
#include <doctest/doctest.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon/sim/demo.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/exported_metrics.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/process.hpp"

namespace {

using namespace std::chrono_literals;
namespace vt = visionwatch::test;
using nlohmann::json;

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

/// The instant vector a PromQL query returns (empty on any error).
json query(std::uint16_t port, const std::string& promql) {
  const auto r = vt::http_get("http://127.0.0.1:" + std::to_string(port) +
                              "/api/v1/query?query=" + url_encode(promql));
  if (r.status != 200) {
    return json::array();
  }
  const auto j = json::parse(r.body, nullptr, false);
  if (!j.is_object() || j.value("status", "") != "success") {
    return json::array();
  }
  return j["data"]["result"];
}

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
    vt::write_text(d.dir / "prometheus.yml",
                   "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                   "scrape_configs:\n  - job_name: visionwatch\n    static_configs:\n"
                   "      - targets: ['127.0.0.1:" +
                       std::to_string(d.proc->port()) + "']\n");
    std::filesystem::create_directories(d.dir / "tsdb");
    vt::child_process prom({"prometheus",
                            "--config.file=" + (d.dir / "prometheus.yml").string(),
                            "--storage.tsdb.path=" + (d.dir / "tsdb").string(),
                            "--web.listen-address=127.0.0.1:0"},
                           d.dir / "prometheus.log");
    // Prometheus binds port 0 and logs the address it got (after a first line with port 0).
    const auto prom_port = prom.wait_for_port("msg=\"Listening on\" address=", vt::after(30s));
    REQUIRE_MESSAGE(prom_port != 0, prom.log_tail());
    REQUIRE(vt::wait_until(vt::after(30s), [&] {
      return vt::http_get("http://127.0.0.1:" + std::to_string(prom_port) + "/-/ready", 2s)
                 .status == 200;
    }));
    const bool increased = vt::wait_until(vt::after(45s), [&] {
      return !query(prom_port,
                    "sum(increase(visionwatch_silent_failures_total{route=\"drops-image-says-"
                    "so\"}[5m])) > 0")
                  .empty();
    });
    INFO(prom.log_tail());
    CHECK(increased);
    const auto up = query(prom_port, "up{job=\"visionwatch\"}");
    REQUIRE(up.size() == 1);
    CHECK(up[0]["value"][1] == "1");
    const bool healthy = vt::wait_until(vt::after(30s), [&] {
      return !query(prom_port, "visionwatch_probe_success{route=\"healthy\"} == 1").empty();
    });
    CHECK(healthy);
    CHECK(query(prom_port, "visionwatch_build_info").size() == 1);
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
