// The service's GET /metrics as a scraper sees it: Prometheus asks for gzip, and the gzip body
// it gets inflates to exactly the exposition a client without Accept-Encoding gets.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <string>

#include "tests/runtime/running_service.hpp"
#include "tests/support/gunzip.hpp"
#include "tests/support/raw_http_client.hpp"
#include "tests/support/test_paths.hpp"
#include "tests/support/wait_until.hpp"

namespace {

namespace vt = visionwatch::test;
using namespace std::chrono_literals;

/// `routes` routes probed once an hour on a gateway that refuses connections: an exposition of
/// several streamed pieces that changes rarely while the test reads it.
std::string config_text(const std::filesystem::path& state, int routes) {
  std::string y = "global:\n  listen: \"127.0.0.1:0\"\n  state_dir: \"" + state.string() +
                  "\"\n  shutdown_grace: 100ms\n";
  y += "defaults: {interval: 1h, timeout: 1s}\n";
  y += "gateways:\n  - {name: gw, base_url: \"http://127.0.0.1:1\", proxy_url: none}\nroutes:\n";
  for (int i = 0; i < routes; ++i) {
    y += "  - {name: route-" + std::to_string(i) + ", gateway: gw, model: vision-model}\n";
  }
  return y;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("GET /metrics with Accept-Encoding gzip inflates to exactly the plain exposition") {
    const auto state = vt::make_temp_dir("vw-metrics-gzip");
    vt::running_service svc(vt::parse_config_or_fail(config_text(state, 150)), true);
    const auto port = vt::port_of_url(svc.url());
    const std::map<std::string, std::string> gzip = {{"Accept-Encoding", "gzip"}};

    vt::raw_response plain;
    vt::raw_response zipped;
    std::optional<std::string> inflated;
    // A probe that ends between two reads changes the exposition: read plain, gzip, plain
    // until both plain reads agree (with probes once an hour, the first time).
    const bool stable = vt::wait_until(vt::after(20s), [&] {
      plain = vt::loopback_request(port, "GET", "/metrics");
      zipped = vt::loopback_request(port, "GET", "/metrics", {}, gzip);
      inflated = vt::gunzip(zipped.body);
      return vt::loopback_request(port, "GET", "/metrics").body == plain.body;
    });
    REQUIRE(stable);
    CHECK(plain.status == 200);
    CHECK(plain.body.size() > 256 * 1024);  // several pieces: chunked, compressed piece by piece
    CHECK(plain.header("content-encoding").empty());
    CHECK(plain.header("vary") == "Accept-Encoding");
    CHECK(zipped.status == 200);
    CHECK(zipped.header("content-encoding") == "gzip");
    CHECK(zipped.header("vary") == "Accept-Encoding");
    CHECK(zipped.header("content-type") == plain.header("content-type"));
    CHECK(zipped.body.size() * 10 < plain.body.size());
    REQUIRE(inflated);
    CHECK(*inflated == plain.body);

    const auto head = vt::loopback_request(port, "HEAD", "/metrics", {}, gzip);
    CHECK(head.status == 200);
    CHECK(head.header("content-encoding") == "gzip");
    CHECK(head.body.empty());
    std::filesystem::remove_all(state);
  }

  TEST_CASE("a loopback scraper that asks for gzip gets the plain exposition by default") {
    const auto state = vt::make_temp_dir("vw-metrics-loopback");
    vt::running_service svc(vt::parse_config_or_fail(config_text(state, 20)));
    const auto port = vt::port_of_url(svc.url());
    const auto zipped =
        vt::loopback_request(port, "GET", "/metrics", {}, {{"Accept-Encoding", "gzip"}});
    CHECK(zipped.status == 200);
    CHECK(zipped.header("content-encoding").empty());
    CHECK(zipped.header("vary") == "Accept-Encoding");
    CHECK(zipped.body.find("# TYPE visionwatch_") != std::string::npos);
    std::filesystem::remove_all(state);
  }
}
