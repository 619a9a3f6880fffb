// The service in this process against the fake upstream (a sim gateway): a failing route in
// retry mode pages its webhook well before its next interval, and a tiny budget pauses a
// gateway's probing (metrics, skip counter, status page, the on-demand endpoint, a restart)
// without a single failure recorded. Every wait has a deadline.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/config/config_values.hpp"
#include "daemon/runtime/service.hpp"
#include "tests/runtime/running_service.hpp"
#include "tests/support/exported_metrics.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/raw_http_client.hpp"
#include "tests/support/test_paths.hpp"
#include "tests/support/wait_until.hpp"
#include "tests/support/webhook_sink.hpp"

namespace {

namespace vt = visionwatch::test;
using namespace std::chrono_literals;
using nlohmann::json;
using visionwatch::outcome;
using visionwatch::sim_behaviour;
using visionwatch::test::parse_config_or_fail;
using visionwatch::test::running_service;

/// One test's world: a temporary state directory and a healthy fake upstream.
struct world {
  std::filesystem::path dir;
  vt::fake_upstream up{vt::pixel_reader_options()};

  explicit world(const std::string& name) : dir(vt::make_temp_dir(name)) {
    up.set_behaviour(sim_behaviour::healthy);
    up.start();
  }
  ~world() {
    up.stop();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  world(const world&) = delete;
  world& operator=(const world&) = delete;

  /// `defaults` (YAML lines under `defaults:`), gateway gw on the upstream with
  /// `gateway_options` added to its mapping, route r1 of model m1, then `rest`.
  [[nodiscard]] std::string yaml(const std::string& defaults,
                                 const std::string& gateway_options,
                                 const std::string& rest = {}) const {
    return "global:\n  listen: \"127.0.0.1:0\"\n  state_dir: \"" + dir.string() +
           "\"\n  shutdown_grace: 100ms\ndefaults:\n" + defaults +
           "gateways:\n  - {name: gw, base_url: \"" + up.base_url() + "\", proxy_url: none" +
           gateway_options + "}\nroutes:\n  - {name: r1, gateway: gw, model: m1}\n" + rest;
  }
};

/// A silent_failure firing for `route` among the sink's requests.
bool fired(const std::vector<vt::sink_request>& requests, const std::string& route) {
  for (const auto& r : requests) {
    const auto j = json::parse(r.body, nullptr, false);
    if (j.is_object() && j.value("event", "") == "firing" &&
        j.value("rule", "") == "silent_failure" && r.body.find(route) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("a route that starts failing at interval 60s with retry_interval 5s pages within 15s") {
    world w("vw-retry");
    auto& up = w.up;
    vt::webhook_sink sink;
    const std::string yaml = w.yaml(
        "  interval: 60s\n"
        "  timeout: 10s\n"
        "  retry_interval: 5s\n"
        "  baseline_interval: 1h\n"
        "  challenge: {kind: count}\n"
        "  alerts:\n"
        "    rules:\n"
        "      silent_failure: {failure_threshold: 2}\n"
        "      route_down: {enabled: false}\n"
        "      success_ratio: {enabled: false}\n",
        "",
        "receivers:\n  - {name: hook, type: webhook, url: \"" + sink.url() + "\"}\n");
    running_service svc(parse_config_or_fail(yaml));

    // Healthy first: not in retry mode.
    const auto [ok_status, ok_body] = svc.probe_now("r1");
    REQUIRE(ok_status == 200);
    REQUIRE(ok_body.value("outcome", "") == "ok");
    CHECK(svc.metric("visionwatch_route_retry_mode", {{"route", "r1"}}) == 0.0);

    // The route breaks: one failed probe, then the retry 5 s later confirms it.
    up.set_behaviour(sim_behaviour::drops_image_says_so);
    const auto failed_at = std::chrono::steady_clock::now();
    const auto [bad_status, bad_body] = svc.probe_now("r1");
    REQUIRE(bad_status == 200);
    CHECK(bad_body.value("outcome", "") == "no_image_claim");
    CHECK(svc.metric("visionwatch_route_retry_mode", {{"route", "r1"}}) == 1.0);
    const auto route = json::parse(vt::http_get(svc.url() + "api/v1/routes/r1").body);
    CHECK(route["retry_mode"] == true);
    CHECK(route["retry_interval_seconds"] == 5.0);
    CHECK(vt::http_get(svc.url()).body.find("retry mode") != std::string::npos);

    CHECK_MESSAGE(sink.wait_for([](const auto& rs) { return fired(rs, "r1"); }, failed_at + 15s),
                  "no firing within 15 s of the first failure (the interval is 60 s)");

    // Healed: the next retry succeeds and the route leaves retry mode.
    up.set_behaviour(sim_behaviour::healthy);
    CHECK(vt::wait_until(vt::after(20s), [&] {
      return svc.metric("visionwatch_route_retry_mode", {{"route", "r1"}}) == 0.0;
    }));
    CHECK(json::parse(vt::http_get(svc.url() + "api/v1/routes/r1").body)["retry_mode"] == false);
  }

  TEST_CASE("a tiny budget pauses probing with its metrics and skip counter and nothing failed") {
    world w("vw-budget");
    const auto& up = w.up;
    // One probe of ~100 prompt tokens at $1,000 per million costs ~$0.1: over the budget.
    const std::string yaml = w.yaml(
        "  interval: 1s\n"
        "  timeout: 1s\n"
        "  baseline_interval: 1h\n"
        "  challenge: {kind: count}\n"
        "  price: {input_per_million: 1000, output_per_million: 1000}\n",
        ", budget: {daily_usd: 0.01}");
    const auto skipped = [](const running_service& s) {
      return s
          .metric("visionwatch_gateway_probes_skipped_total",
                  {{"gateway", "gw"}, {"reason", "budget"}})
          .value_or(-1);
    };
    const auto failures = [](const running_service& s) {
      double n = 0;
      for (const auto each : visionwatch::all_outcomes) {
        if (each != outcome::ok) {
          n += s.metric("visionwatch_probes_total",
                        {{"route", "r1"}, {"outcome", std::string(to_string(each))}})
                   .value_or(0);
        }
      }
      return n;
    };
    {
      running_service svc(parse_config_or_fail(yaml));
      REQUIRE(vt::wait_until(vt::after(30s), [&] {
        return svc.metric("visionwatch_budget_exhausted", {{"gateway", "gw"}}) == 1.0;
      }));
      CHECK(svc.metric("visionwatch_budget_spent_usd", {{"gateway", "gw"}}).value_or(0) >= 0.01);
      REQUIRE(vt::wait_until(vt::after(30s), [&] { return skipped(svc) >= 2; }));
      const auto requests = up.request_count();
      const auto before = skipped(svc);
      REQUIRE(vt::wait_until(vt::after(30s), [&] { return skipped(svc) >= before + 3; }));
      CHECK(up.request_count() == requests);  // paused: nothing reached the gateway
      CHECK(svc.metric("visionwatch_probes_skipped_total", {{"route", "r1"}}).value_or(0) >=
            before + 3);
      CHECK(failures(svc) == 0.0);

      const auto status = json::parse(vt::http_get(svc.url() + "api/v1/routes").body);
      REQUIRE(status["budget"]["gateways"].size() == 1);
      CHECK(status["budget"]["gateways"][0]["exhausted"] == true);
      CHECK(status["budget"]["gateways"][0]["paused_by"] == "gateway");
      CHECK(status["budget"]["gateways"][0]["daily_usd"] == 0.01);
      CHECK(vt::http_get(svc.url()).body.find("gateway gw: daily budget spent") !=
            std::string::npos);
      const auto [code, body] = svc.probe_now("r1");
      CHECK(code == 409);
      CHECK(body.value("error", "").find("daily budget of gateway 'gw' is spent") !=
            std::string::npos);
    }
    // A restart on the same UTC day keeps the spend: paused from the start.
    {
      running_service svc(parse_config_or_fail(yaml));
      CHECK(svc.metric("visionwatch_budget_exhausted", {{"gateway", "gw"}}) == 1.0);
      const auto requests = up.request_count();
      REQUIRE(vt::wait_until(vt::after(30s), [&] { return skipped(svc) >= 2; }));
      CHECK(up.request_count() == requests);
      CHECK(failures(svc) == 0.0);
    }
  }
}

TEST_SUITE("integration") {
  // A finished probe wakes the scheduler loop only when it changes what the loop waits for
  // (service.cpp, finish_probe): the retry of a failed scheduled probe is sooner than the loop's
  // timer (the route's next slot), so it must wake it, or the retry waits for the slot.
  TEST_CASE("a failed scheduled probe is retried after retry_interval and not at the next slot") {
    world w("vw-retry-scheduled");
    w.up.set_behaviour(sim_behaviour::drops_image_says_so);
    running_service svc(parse_config_or_fail(w.yaml("  interval: 8s\n"
                                                    "  timeout: 2s\n"
                                                    "  retry_interval: 1s\n"
                                                    "  baseline_interval: 1h\n"
                                                    "  challenge: {kind: count}\n"
                                                    "  alerts:\n"
                                                    "    rules:\n"
                                                    "      silent_failure: {enabled: false}\n"
                                                    "      route_down: {enabled: false}\n"
                                                    "      success_ratio: {enabled: false}\n",
                                                    "")));
    std::vector<std::chrono::system_clock::time_point> started;
    CHECK(vt::wait_until(vt::after(30s), [&] {
      started.clear();
      const auto route = svc.route("r1");
      if (!route.is_object() || !route.contains("results")) {
        return false;
      }
      for (const auto& r : route["results"]) {
        if (const auto at = visionwatch::parse_rfc3339(r.value("started_at", "")); at) {
          started.push_back(*at);
        }
      }
      return started.size() >= 2;
    }));
    REQUIRE(started.size() >= 2);
    std::sort(started.begin(), started.end());
    const auto gap = started[1] - started[0];
    CAPTURE(std::chrono::duration_cast<std::chrono::milliseconds>(gap).count());
    CHECK(gap < 5s);  // the retry 1 s after the failure; the next slot would be 8 s after it
  }
}
