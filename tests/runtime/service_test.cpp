// The service in this process: reload as a transaction (a failure injected at every prepare
// step leaves the running configuration untouched), shutdown that does not record cut-off
// probes (scheduled or on demand) and refuses reloads, and Retry-After deferral capped and
// visible.
#include "daemon/runtime/service.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "daemon/config/config.hpp"
#include "tests/runtime/running_service.hpp"
#include "tests/support/exported_metrics.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/raw_http_client.hpp"
#include "tests/support/scoped_temp_dir.hpp"
#include "tests/support/test_paths.hpp"
#include "tests/support/wait_until.hpp"

namespace {

namespace vt = visionwatch::test;
namespace net = boost::asio;
using visionwatch::config;
using visionwatch::outcome;
using visionwatch::probe_result;
using visionwatch::received_request;
using visionwatch::response_plan;
using visionwatch::service;
using visionwatch::service_options;

config parse(const std::string& yaml) {
  auto r = visionwatch::parse_config(yaml, "test.yaml");
  for (const auto& e : r.errors) {
    FAIL_CHECK(e.to_string());
  }
  REQUIRE(r.value);
  return std::move(*r.value);
}

std::string global(const std::filesystem::path& state, const std::string& extra = {}) {
  return "global:\n  listen: \"127.0.0.1:0\"\n  state_dir: \"" + state.string() +
         "\"\n  shutdown_grace: 100ms\n" + extra;
}

/// The exposition without the reload status series (a failed reload is meant to change them).
std::string without_reload_status(const std::string& exposition) {
  std::istringstream in(exposition);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line.find("visionwatch_config_last_reload") == std::string::npos) {
      out += line + "\n";
    }
  }
  return out;
}

/// Routes r1 .. r<routes> (models m1 ..) on gateway gw at `base_url` (with `gateway_extra`
/// flow-mapping keys), the `defaults` flow mapping, and `global_extra` lines under global.
std::string config_yaml(const std::filesystem::path& state,
                        const std::string& base_url,
                        const std::string& defaults,
                        int routes = 1,
                        const std::string& gateway_extra = "",
                        const std::string& global_extra = "") {
  std::string y = global(state, global_extra);
  y += "defaults: ";
  y += defaults;
  y += "\ngateways:\n  - {name: gw, base_url: \"";
  y += base_url;
  y += "\", proxy_url: none";
  y += gateway_extra;
  y += "}\nroutes:\n";
  for (int i = 1; i <= routes; ++i) {
    const auto n = std::to_string(i);
    y += "  - {name: r";
    y += n;
    y += ", gateway: gw, model: m";
    y += n;
    y += "}\n";
  }
  return y;
}

/// Options of a service under test: no signal handlers, every result to `on_result`.
service_options test_options(std::function<void(const probe_result&)> on_result = {}) {
  service_options opts;
  opts.handle_signals = false;
  opts.on_result = std::move(on_result);
  return opts;
}

/// Checks that no probe of route r1 is counted, under any outcome.
void check_r1_not_counted(const std::string& exposition) {
  for (const auto o : visionwatch::all_outcomes) {
    INFO(to_string(o));
    CHECK(vt::metric_value(exposition,
                           "visionwatch_probes_total",
                           {{"route", "r1"}, {"outcome", std::string(to_string(o))}}) == 0.0);
  }
}

/// Stops the service and runs its io_context until the shutdown is complete.
void stop(net::io_context& io, service& svc) {
  svc.request_stop();
  io.restart();
  io.run();
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("a failure at any step of preparing a reload leaves the running config untouched") {
    const vt::scoped_temp_dir tmp("vw-svc");
    const auto& dir = tmp.path;
    const std::string old_yaml =
        global(dir) +
        "defaults: {interval: 1h, timeout: 30s}\n"
        "gateways:\n"
        "  - {name: gw, base_url: \"http://127.0.0.1:9/v1\", proxy_url: none}\n"
        "routes:\n"
        "  - {name: r1, gateway: gw, model: m1}\n"
        "  - {name: r2, gateway: gw, model: m2}\n";
    const std::string new_yaml =
        global(dir) +
        "defaults: {interval: 1h, timeout: 30s}\n"
        "gateways:\n"
        "  - {name: gw, base_url: \"http://127.0.0.1:9/v1\", proxy_url: none, "
        "max_concurrency: 2}\n"
        "  - {name: gw2, base_url: \"http://127.0.0.1:10/v1\", proxy_url: none}\n"
        "receivers:\n"
        "  - {name: hook, type: webhook, url: \"http://127.0.0.1:11/hook\"}\n"
        "routes:\n"
        "  - {name: r1, gateway: gw, model: m1-renamed}\n"
        "  - {name: r3, gateway: gw2, model: m3}\n";
    net::io_context io;
    std::size_t fail_at = std::numeric_limits<std::size_t>::max();
    auto opts = test_options();
    opts.prepare_step = [&fail_at](std::size_t step) {
      if (step == fail_at) {
        throw std::runtime_error("injected failure");
      }
    };
    service svc(io, parse(old_yaml), opts);
    svc.start();
    const auto before = without_reload_status(svc.metrics_registry().render());
    REQUIRE(before.find("route=\"r2\"") != std::string::npos);

    std::size_t n = 0;
    for (;; ++n) {
      REQUIRE(n < 200);
      fail_at = n;
      const auto errors = svc.apply(parse(new_yaml));
      if (errors.empty()) {
        break;
      }
      INFO("failure injected at step " << n);
      REQUIRE(errors.size() == 1);
      CHECK(errors[0].find("injected failure") != std::string::npos);
      const auto now = svc.metrics_registry().render();
      CHECK(without_reload_status(now) == before);
      CHECK(vt::metric_value(now, "visionwatch_config_last_reload_successful", {}) == 0.0);
    }
    // Clients, receiver, labels of three routes, the gateway table, the route table.
    CHECK(n >= 8);
    const auto after = svc.metrics_registry().render();
    CHECK(vt::metric_value(after, "visionwatch_config_last_reload_successful", {}) == 1.0);
    CHECK(after.find("route=\"r2\"") == std::string::npos);
    CHECK(vt::metric_value(
              after, "visionwatch_route_info", {{"route", "r1"}, {"model", "m1-renamed"}}) == 1.0);
    CHECK(vt::metric_value(
              after, "visionwatch_route_info", {{"route", "r3"}, {"gateway", "gw2"}}) == 1.0);
    CHECK(vt::metric_value(
              after, "visionwatch_gateway_probes_skipped_total", {{"gateway", "gw2"}}) == 0.0);
    stop(io, svc);
  }

  TEST_CASE(
      "a route label that is not UTF-8 is refused by apply and the old config keeps running") {
    const vt::scoped_temp_dir tmp("vw-svc");
    const auto& dir = tmp.path;
    const auto yaml = config_yaml(dir, "http://127.0.0.1:9/v1", "{interval: 1h, timeout: 30s}");
    net::io_context io;
    service svc(io, parse(yaml), test_options());
    svc.start();
    const auto before = without_reload_status(svc.metrics_registry().render());
    auto bad = parse(yaml);
    bad.routes[0].model = "m\xff";  // what an unchecked file used to carry into apply
    bad.routes.push_back(bad.routes[0]);
    bad.routes[1].name = "r0";
    const auto errors = svc.apply(std::move(bad));
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].find("not valid UTF-8") != std::string::npos);
    CHECK(without_reload_status(svc.metrics_registry().render()) == before);
    stop(io, svc);
  }

  TEST_CASE("a probe cut off by shutdown is not recorded and a reload during shutdown is refused") {
    const vt::scoped_temp_dir tmp("vw-svc");
    const auto& dir = tmp.path;
    net::io_context io;
    vt::fake_upstream up;
    std::atomic<bool> arrived{false};
    std::vector<std::string> refused;
    std::unique_ptr<service> svc;
    up.set_handler([&](const received_request&) {
      if (!arrived.exchange(true)) {
        net::post(io, [&] {
          svc->request_stop();
          refused = svc->apply(parse(global(dir) +
                                     "gateways:\n  - {name: gw, base_url: "
                                     "\"http://127.0.0.1:9/v1\"}\n"
                                     "routes:\n  - {name: other, gateway: gw, model: m}\n"));
        });
      }
      return response_plan::with_action(response_plan::action::hang);
    });
    up.start();
    const auto yaml = config_yaml(dir, up.base_url(), "{interval: 2s, timeout: 2s}");
    std::vector<probe_result> recorded;
    const auto opts = test_options([&](const probe_result& r) { recorded.push_back(r); });
    svc = std::make_unique<service>(io, parse(yaml), opts);
    svc->start();
    io.run();  // returns once the shutdown the first request triggered is complete
    CHECK(arrived.load());
    CHECK(recorded.empty());
    check_r1_not_counted(svc->metrics_registry().render());
    REQUIRE(refused.size() == 1);
    CHECK(refused[0].find("shutting down") != std::string::npos);
    CHECK(svc->metrics_registry().find_route("other") == std::nullopt);
    up.stop();
    svc.reset();
  }

  TEST_CASE("an on-demand probe cut off by shutdown answers 503 and is not recorded") {
    const vt::scoped_temp_dir tmp("vw-svc");
    const auto& dir = tmp.path;
    net::io_context io;
    vt::fake_upstream up;
    std::promise<void> arrived;
    std::atomic<bool> first{true};
    up.set_handler([&](const received_request&) {
      if (first.exchange(false)) {
        arrived.set_value();
      }
      return response_plan::with_action(response_plan::action::hang);
    });
    up.start();
    // A 1 h interval: the only probe of this test is the one asked for.
    const auto yaml =
        config_yaml(dir, up.base_url(), "{interval: 1h, timeout: 30s, baseline_interval: 1h}");
    std::vector<probe_result> recorded;
    const auto opts = test_options([&](const probe_result& r) { recorded.push_back(r); });
    service svc(io, parse(yaml), opts);
    svc.start();
    const auto port = svc.admin_port();
    std::thread runner([&] { io.run(); });
    auto answer = std::async(std::launch::async, [port] {
      return vt::loopback_request(port, "POST", "/api/v1/routes/r1/probe");
    });
    const bool started =
        arrived.get_future().wait_for(std::chrono::seconds(20)) == std::future_status::ready;
    CHECK(started);
    net::post(io, [&] { svc.request_stop(); });
    const auto res = answer.get();
    runner.join();
    INFO(res.body);
    CHECK(res.status == 503);
    CHECK(res.body.find("probe cancelled: shutting down (not recorded)") != std::string::npos);
    CHECK(recorded.empty());
    check_r1_not_counted(svc.metrics_registry().render());
    up.stop();
  }

  TEST_CASE("a long Retry-After is capped by max_retry_after and shown in metrics and the API") {
    const vt::scoped_temp_dir tmp("vw-svc");
    const auto& dir = tmp.path;
    vt::fake_upstream up;
    up.set_handler([](const received_request&) {
      auto plan = response_plan::json(R"({"error":{"message":"Rate limit reached"}})", 429);
      plan.headers.emplace_back("Retry-After", "86400");
      return plan;
    });
    up.start();
    const auto yaml = config_yaml(dir,
                                  up.base_url(),
                                  "{interval: 2s, timeout: 2s, baseline_interval: 1h}",
                                  1,
                                  "",
                                  "  max_retry_after: 5m\n");
    std::promise<void> limited;
    bool signalled = false;
    const vt::service_thread running(parse(yaml), test_options([&](const probe_result& r) {
                                       if (r.result == outcome::rate_limited && !signalled) {
                                         signalled = true;
                                         limited.set_value();
                                       }
                                     }));
    const auto url = running.svc().admin_url();
    const bool seen =
        limited.get_future().wait_for(std::chrono::seconds(20)) == std::future_status::ready;
    CHECK(seen);
    if (seen) {
      const auto now =
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
              .count();
      const auto metrics = vt::http_get(url + "metrics");
      const auto until = vt::metric_value(
          metrics.body, "visionwatch_route_deferred_until_timestamp_seconds", {{"route", "r1"}});
      REQUIRE(until.has_value());
      CHECK(*until > now + 200);
      CHECK(*until <= now + 301);
      const auto route =
          nlohmann::json::parse(vt::http_get(url + "api/v1/routes/r1").body, nullptr, false);
      CHECK(route["deferred_until"].is_string());
    }
  }

  TEST_CASE("a starved gateway's skipped probes are counted as concurrency and shown on the page") {
    const vt::scoped_temp_dir tmp("vw-svc");
    const auto& dir = tmp.path;
    vt::fake_upstream up;
    // Every probe takes its whole timeout: with max_concurrency 1, one of three routes probes
    // at a time and the others' due probes wait until their next slot, then are skipped.
    up.set_handler([](const received_request&) {
      return response_plan::with_action(response_plan::action::hang);
    });
    up.start();
    const auto yaml = config_yaml(dir,
                                  up.base_url(),
                                  "{interval: 1s, timeout: 1s, baseline_interval: 1h}",
                                  3,
                                  ", max_concurrency: 1");
    const vt::service_thread running(parse(yaml), test_options());
    const auto url = running.svc().admin_url();
    auto skipped = [&](const std::string& reason) {
      return vt::metric_value(vt::http_get(url + "metrics").body,
                              "visionwatch_gateway_probes_skipped_total",
                              {{"gateway", "gw"}, {"reason", reason}});
    };
    CHECK(vt::wait_until(vt::after(std::chrono::seconds(30)), [&] {
      const auto v = skipped("concurrency");
      return v && *v >= 2;
    }));
    // Every skip is counted under exactly one reason (with timeout == interval a probe can also
    // still run at its own next slot: `overlap`, counted apart from the starved ones).
    const auto body = vt::http_get(url + "metrics").body;
    double by_reason = 0;
    for (const auto* reason : {"concurrency", "overlap", "late"}) {
      const auto v = vt::metric_value(body,
                                      "visionwatch_gateway_probes_skipped_total",
                                      {{"gateway", "gw"}, {"reason", reason}});
      REQUIRE(v.has_value());
      by_reason += *v;
    }
    CHECK(by_reason == vt::metric_value(body, "visionwatch_probes_skipped_total", {}));
    const auto status = nlohmann::json::parse(vt::http_get(url + "api/v1/routes").body);
    REQUIRE(status["gateway_warnings"].size() == 1);
    CHECK(status["gateway_warnings"][0]["gateway"] == "gw");
    CHECK(status["gateway_warnings"][0]["demand"] == doctest::Approx(3.0));
    CHECK(status["gateway_warnings"][0]["skipped_probes"].get<int>() >= 2);
    const auto page = vt::http_get(url).body;
    CHECK(page.find("gateway gw: routes need 3.0 concurrent probes, max_concurrency 1") !=
          std::string::npos);
  }
}
