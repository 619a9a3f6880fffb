// The service of one shard (daemon/config/shard.hpp): only the routes it owns are probed,
// exported and alerted on, the API and metrics say which shard it is, and a reload that changes
// the shard removes and adds routes like any other edit (resolves included). The `--shard`
// option (service_options::shard) wins over the file at start and on every reload.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/config/shard.hpp"
#include "daemon/runtime/service.hpp"
#include "tests/runtime/running_service.hpp"
#include "tests/support/exported_metrics.hpp"
#include "tests/support/raw_http_client.hpp"
#include "tests/support/test_paths.hpp"
#include "tests/support/wait_until.hpp"
#include "tests/support/webhook_sink.hpp"

namespace {

namespace vt = visionwatch::test;
using nlohmann::json;
using namespace std::chrono_literals;

const std::vector<std::string> route_names = {"r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8"};

/// Eight routes on a gateway that refuses connections (every probe fails at once), route_down
/// firing after 2 failures, notifications to `hook_url`.
std::string config_text(const std::filesystem::path& state,
                        const std::string& shard,
                        const std::string& hook_url) {
  std::string y = "global:\n  listen: \"127.0.0.1:0\"\n  state_dir: \"" + state.string() +
                  "\"\n  shutdown_grace: 100ms\n  shard: \"" + shard + "\"\n";
  y += R"(defaults:
  interval: 1s
  timeout: 500ms
  alerts:
    rules:
      route_down: {failure_threshold: 2, success_threshold: 2}
      silent_failure: {enabled: false}
      success_ratio: {enabled: false}
gateways:
  - {name: gw, base_url: "http://127.0.0.1:1", proxy_url: none}
routes:
)";
  for (const auto& r : route_names) {
    y += "  - {name: " + r + ", gateway: gw, model: m}\n";
  }
  y += "receivers:\n  - {name: hook, type: webhook, url: \"" + hook_url +
       "\", timeout: 300ms, min_backoff: 50ms, max_backoff: 100ms}\n";
  return y;
}

std::set<std::string> owned_by(std::uint32_t shard, std::uint32_t shards) {
  std::set<std::string> out;
  for (const auto& r : route_names) {
    if (visionwatch::shard_owner(r, shards) == shard) {
      out.insert(r);
    }
  }
  return out;
}

/// Routes with `event` (firing, resolved) notifications the sink accepted.
std::set<std::string> notified(const vt::webhook_sink& sink, const std::string& event) {
  std::set<std::string> out;
  for (const auto& r : sink.delivered()) {
    const auto j = json::parse(r.body, nullptr, false);
    if (j.is_object() && j.value("event", "") == event) {
      out.insert(j.value("route", ""));
    }
  }
  return out;
}

/// The routes with a visionwatch_route_info series in `exposition`.
std::set<std::string> exported_routes(const std::string& exposition) {
  std::set<std::string> out;
  for (const auto& s : vt::parse_exposition(exposition)) {
    if (s.name == "visionwatch_route_info") {
      out.insert(s.labels.at("route"));
    }
  }
  return out;
}

/// One service on its own io thread, driven over its admin API.
struct shard_service {
  vt::service_thread runner;
  visionwatch::service& svc;

  shard_service(const std::filesystem::path& file, visionwatch::service_options opts)
      : runner(load(file), with_path(std::move(opts), file)), svc(runner.svc()) {}

  static visionwatch::config load(const std::filesystem::path& file) {
    auto loaded = visionwatch::load_config(file.string());
    REQUIRE(loaded.errors.empty());
    return std::move(*loaded.value);
  }
  static visionwatch::service_options with_path(visionwatch::service_options o,
                                                const std::filesystem::path& file) {
    o.handle_signals = false;
    o.config_path = file.string();
    return o;
  }
  [[nodiscard]] vt::raw_response get(const std::string& target) const {
    return vt::loopback_request(svc.admin_port(), "GET", target);
  }
  [[nodiscard]] json routes_json() const {
    return json::parse(get("/api/v1/routes").body, nullptr, false);
  }
  [[nodiscard]] std::set<std::string> api_routes() const {
    std::set<std::string> out;
    const auto j = routes_json();  // a temporary's element would dangle in the loop
    for (const auto& r : j["routes"]) {
      out.insert(r.value("route", ""));
    }
    return out;
  }
};

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE(
      "a shard probes and alerts on its own routes and a reload to another shard moves them") {
    const auto dir = vt::make_temp_dir("vw-shard");
    const auto file = dir / "config.yaml";
    vt::webhook_sink sink;
    std::ofstream(file, std::ios::trunc) << config_text(dir / "state", "1/2", sink.url());
    const auto first = owned_by(1, 2);
    const auto second = owned_by(2, 2);
    REQUIRE_FALSE(first.empty());
    REQUIRE_FALSE(second.empty());

    shard_service s(file, {});
    CHECK(s.api_routes() == first);
    CHECK(s.routes_json().value("shard", 0) == 1);
    CHECK(s.routes_json().value("shards", 0) == 2);
    CHECK(s.get("/").body.find("shard 1 of 2") != std::string::npos);
    // Every owned route fails and fires; no other route is ever probed or notified.
    REQUIRE(sink.wait_for([&](const auto&) { return notified(sink, "firing") == first; },
                          vt::after(15s)));
    auto exposition = s.get("/metrics").body;
    CHECK(exported_routes(exposition) == first);
    CHECK(vt::metric_value(
              exposition, "visionwatch_shard_info", {{"shard", "1"}, {"shards", "2"}}) == 1.0);
    for (const auto& r : second) {
      CAPTURE(r);
      CHECK_FALSE(vt::metric_value(exposition, "visionwatch_probes_total", {{"route", r}}));
    }

    // Shard 2 now: shard 1's routes go as removed routes do (their alerts resolve), shard 2's
    // start, and the metrics and API follow.
    std::ofstream(file, std::ios::trunc) << config_text(dir / "state", "2/2", sink.url());
    REQUIRE(vt::loopback_request(s.svc.admin_port(), "POST", "/-/reload").status == 200);
    REQUIRE(sink.wait_for([&](const auto&) { return notified(sink, "resolved") == first; },
                          vt::after(15s)));
    CHECK(s.api_routes() == second);
    CHECK(s.routes_json().value("shard", 0) == 2);
    exposition = s.get("/metrics").body;
    CHECK(exported_routes(exposition) == second);
    CHECK(vt::metric_value(
              exposition, "visionwatch_shard_info", {{"shard", "2"}, {"shards", "2"}}) == 1.0);
    CHECK_FALSE(vt::metric_value(exposition, "visionwatch_shard_info", {{"shard", "1"}}));
    std::set<std::string> all(route_names.begin(), route_names.end());
    REQUIRE(sink.wait_for([&](const auto&) { return notified(sink, "firing") == all; },
                          vt::after(15s)));
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("the shard option overrides global.shard at start and on every reload") {
    const auto dir = vt::make_temp_dir("vw-shard-flag");
    const auto file = dir / "config.yaml";
    vt::webhook_sink sink;
    std::ofstream(file, std::ios::trunc) << config_text(dir / "state", "1/2", sink.url());
    visionwatch::service_options opts;
    opts.shard = visionwatch::shard_spec{2, 2};
    shard_service s(file, std::move(opts));
    CHECK(s.api_routes() == owned_by(2, 2));
    std::ofstream(file, std::ios::trunc) << config_text(dir / "state", "1/3", sink.url());
    REQUIRE(vt::loopback_request(s.svc.admin_port(), "POST", "/-/reload").status == 200);
    CHECK(s.api_routes() == owned_by(2, 2));
    CHECK(s.routes_json().value("shards", 0) == 2);
    std::filesystem::remove_all(dir);
  }
}
