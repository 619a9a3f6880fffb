// Scaling out with real peers on loopback: three shards of one configuration scraped by a real
// Prometheus (every route's series exactly once across them), and an HA pair of one shard with
// different external labels pushing to a real Alertmanager (one alert, one page). Every wait
// polls with a deadline.
#include "daemon/config/shard.hpp"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "daemon/sim/demo.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/alertmanager_server.hpp"
#include "tests/support/prometheus_server.hpp"
#include "tests/support/wait_until.hpp"
#include "tests/support/webhook_sink.hpp"

namespace shard_test {

namespace {

using namespace visionwatch::e2e_test_names;

/// `visionwatch run --shard i/n` on `config`, its state in <dir>/state-<name> (STATE_DIRECTORY,
/// as systemd sets it: the instances share one configuration file).
std::unique_ptr<vt::daemon_process> shard_daemon(const std::filesystem::path& dir,
                                                 const std::filesystem::path& config,
                                                 const std::string& shard,
                                                 const std::string& name) {
  return std::make_unique<vt::daemon_process>(
      std::vector<std::string>{"run", "--config", config.string(), "--shard", shard},
      dir / (name + ".log"),
      std::vector<std::string>{"STATE_DIRECTORY=" + (dir / ("state-" + name)).string()});
}

/// The route names of /api/v1/routes, and its shard and shards.
struct routes_view {
  std::set<std::string> routes;
  int shard = 0;
  int shards = 0;
};

routes_view api_routes(const vt::daemon_process& d) {
  routes_view v;
  const auto j = json::parse(d.get("/api/v1/routes").body, nullptr, false);
  if (!j.is_object()) {
    return v;
  }
  v.shard = j.value("shard", 0);
  v.shards = j.value("shards", 0);
  for (const auto& r : j["routes"]) {
    v.routes.insert(r.value("route", ""));
  }
  return v;
}

/// route label → value of each sample of a `count by (route)` result.
std::map<std::string, std::string> by_route(const json& result) {
  std::map<std::string, std::string> out;
  for (const auto& s : result) {
    out[s["metric"].value("route", "")] = s["value"][1].get<std::string>();
  }
  return out;
}

/// The first name `prefix`-1, -2, ... that shard `index` of `count` owns.
std::string owned_name(const std::string& prefix, std::uint32_t index, std::uint32_t count) {
  for (int i = 1;; ++i) {
    auto name = prefix + "-" + std::to_string(i);
    if (shard_owner(name, count) == index) {
      return name;
    }
  }
}

/// Pages Alertmanager sent to the sink for `route`, by status.
std::size_t pages(const vt::webhook_sink& sink,
                  const std::string& route,
                  const std::string& status) {
  std::size_t n = 0;
  for (const auto& r : sink.requests()) {
    const auto j = json::parse(r.body, nullptr, false);
    n += j.is_object() && j.value("status", "") == status &&
                 j["commonLabels"].value("route", "") == route
             ? 1
             : 0;
  }
  return n;
}

double am_pushes(const vt::daemon_process& d) {
  return d.metric("visionwatch_notifications_total", {{"receiver", "am"}, {"result", "success"}})
      .value_or(0);
}

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE("three shards scraped by Prometheus show each of 30 routes exactly once") {
    const vt::started_demo_gateway gw;
    const auto dir = vt::make_temp_dir("vw-shards");
    std::vector<vt::test_route> routes;
    std::set<std::string> names;
    for (int i = 1; i <= 30; ++i) {
      routes.push_back({"route-" + std::to_string(i), "vision-healthy", "digits"});
      names.insert(routes.back().name);
    }
    // One file for all three, as a fleet deploys it; each instance is told its shard.
    vt::write_text(dir / "config.yaml", vt::e2e_config(gw.base_url(), routes));
    std::vector<std::unique_ptr<vt::daemon_process>> shards;
    std::vector<std::uint16_t> ports;
    for (std::uint32_t i = 1; i <= 3; ++i) {
      shards.push_back(shard_daemon(
          dir, dir / "config.yaml", std::to_string(i) + "/3", "vw-" + std::to_string(i)));
      REQUIRE_MESSAGE(shards.back()->wait_ready(vt::after(20s)), shards.back()->log_tail());
      ports.push_back(shards.back()->port());
    }
    // Each instance has exactly the routes its shard owns, and says which shard it is.
    for (std::uint32_t i = 1; i <= 3; ++i) {
      const auto& d = *shards[i - 1];
      std::set<std::string> expected;
      for (const auto& n : names) {
        if (shard_owner(n, 3) == i) {
          expected.insert(n);
        }
      }
      const auto v = api_routes(d);
      CHECK(v.routes == expected);
      CHECK(v.shard == static_cast<int>(i));
      CHECK(v.shards == 3);
      CHECK(d.metric("visionwatch_shard_info", {{"shard", std::to_string(i)}, {"shards", "3"}}) ==
            1.0);
      CHECK(d.get("/").body.find("shard " + std::to_string(i) + " of 3") != std::string::npos);
    }

    vt::prometheus_server prom(dir, ports);
    // Every route probed, by one instance only: its last-probe series exists once.
    std::map<std::string, std::string> probed;
    const bool all_probed = vt::wait_until(vt::after(45s), [&] {
      probed = by_route(prom.query("count by (route) (visionwatch_last_probe_timestamp_seconds)"));
      return probed.size() == names.size();
    });
    INFO(prom.log_tail());
    REQUIRE(all_probed);
    const auto info = by_route(prom.query("count by (route) (visionwatch_route_info)"));
    CHECK(info.size() == names.size());
    for (const auto& n : names) {
      CAPTURE(n);
      CHECK(probed[n] == "1");
      CHECK(info.at(n) == "1");
    }
    const auto instances = prom.query("count(visionwatch_shard_info{shards=\"3\"})");
    REQUIRE(instances.size() == 1);
    CHECK(instances[0]["value"][1] == "3");
    prom.stop();
    for (auto& d : shards) {
      CHECK(d->stop() == 0);
    }
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("an HA pair of one shard in two regions makes one Alertmanager alert and one page") {
    const vt::started_demo_gateway gw;
    const auto dir = vt::make_temp_dir("vw-ha-pair");
    vt::webhook_sink sink;
    vt::alertmanager_server am(dir, sink.url());
    // Shard 2 of 2 owns `blind` (its model drops the image and says so) and `healthy`; shard 1,
    // which nobody runs here, owns `other_blind`: it must never reach Alertmanager.
    const auto blind = owned_name("blind", 2, 2);
    const auto other_blind = owned_name("blind", 1, 2);
    const auto healthy = owned_name("healthy", 2, 2);
    const std::vector<vt::test_route> routes = {
        {blind, "vision-drops-image-says-so", "digits"},
        {other_blind, "vision-drops-image-says-so", "digits"},
        {healthy, "vision-healthy", "digits"},
    };
    // Only silent_failure (2 bad probes) may fire, so every alert belongs to the rule under test.
    const std::string rules =
        "  alerts:\n    rules:\n      route_down: {enabled: false}\n"
        "      success_ratio: {enabled: false}\n";
    const auto receivers = "receivers:\n  - {name: am, type: alertmanager, url: \"" + am.url() +
                           "\", resend_interval: 2s}\n";
    // The pair differs only in its region, which it declares a replica label.
    for (const char* region : {"eu-west-1", "us-east-1"}) {
      vt::write_text(dir / (std::string(region) + ".yaml"),
                     vt::e2e_config(gw.base_url(),
                                    routes,
                                    "  external_labels: {team: vision, region: " +
                                        std::string(region) + "}\n  replica_labels: [region]\n",
                                    "1s",
                                    rules) +
                         receivers);
    }
    auto eu = shard_daemon(dir, dir / "eu-west-1.yaml", "2/2", "eu");
    auto us = shard_daemon(dir, dir / "us-east-1.yaml", "2/2", "us");
    REQUIRE_MESSAGE(eu->wait_ready(vt::after(20s)), eu->log_tail());
    REQUIRE_MESSAGE(us->wait_ready(vt::after(20s)), us->log_tail());
    CHECK(api_routes(*eu).routes == std::set<std::string>{blind, healthy});
    CHECK(api_routes(*us).routes == std::set<std::string>{blind, healthy});
    // The series keep the region: Prometheus (or Thanos, deduplicating on it) sees two replicas.
    CHECK(eu->metric("visionwatch_route_info", {{"route", blind}, {"region", "eu-west-1"}}) == 1.0);
    CHECK(us->metric("visionwatch_route_info", {{"route", blind}, {"region", "us-east-1"}}) == 1.0);

    // Both replicas fire and push to Alertmanager.
    REQUIRE_MESSAGE(
        vt::wait_until(vt::after(20s), [&] { return am_pushes(*eu) >= 1 && am_pushes(*us) >= 1; }),
        (eu->log_tail() + us->log_tail()));
    REQUIRE_MESSAGE(
        vt::wait_until(vt::after(10s), [&] { return pages(sink, blind, "firing") >= 1; }),
        am.log_tail());
    // Both keep re-sending (every 2 s): after more pushes from each, still one alert, one page.
    const auto eu_pushed = am_pushes(*eu);
    const auto us_pushed = am_pushes(*us);
    REQUIRE(vt::wait_until(vt::after(10s), [&] {
      return am_pushes(*eu) >= eu_pushed + 1 && am_pushes(*us) >= us_pushed + 1;
    }));
    const auto alerts = am.alerts(blind);
    REQUIRE(alerts.size() == 1);
    const auto& labels = alerts[0]["labels"];
    CHECK(labels["rule"] == "silent_failure");
    CHECK(labels["team"] == "vision");
    CHECK_FALSE(labels.contains("region"));
    CHECK(alerts[0]["status"]["state"] == "active");
    CHECK(pages(sink, blind, "firing") == 1);
    CHECK(vt::alertmanager_notifications(sink, "firing") == 1);
    CHECK(am.alerts(other_blind).empty());
    CHECK(am.alerts(healthy).empty());

    CHECK(eu->stop() == 0);
    CHECK(us->stop() == 0);
    std::filesystem::remove_all(dir);
  }
}

}  // namespace shard_test
