// End to end: the real `visionwatch run` and `visionwatch demo` binaries against a simulated
// gateway in this process, driven over HTTP and signals.
#include <doctest/doctest.h>
#include <csignal>

#include <nlohmann/json.hpp>
#include <string>

#include "daemon/sim/demo.hpp"
#include "daemon/sim/sim_gateway.hpp"
#include "daemon/sim/sim_model.hpp"
#include "probes/outcome.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_http_client.hpp"

namespace daemon_test {

namespace {

using namespace visionwatch::e2e_test_names;

/// A started daemon on a config file in a fresh temp dir, plus the dir.
struct running_daemon {
  std::filesystem::path dir;
  std::filesystem::path config;
  std::unique_ptr<vt::daemon_process> proc;

  running_daemon(const std::string& yaml,
                 std::vector<std::string> extra_args = {"--listen", "127.0.0.1:0"},
                 std::vector<std::string> env = {}) {
    dir = vt::make_temp_dir("vw-e2e");
    config = dir / "config.yaml";
    rewrite(yaml);
    std::vector<std::string> args = {"run", "--config", config.string()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    proc = std::make_unique<vt::daemon_process>(args, dir / "daemon.log", std::move(env));
    const bool ready = proc->wait_ready(vt::after(20s));
    INFO(proc->log());
    REQUIRE(ready);
  }
  ~running_daemon() {
    proc.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  /// Writes the config file (for a reload) with this daemon's temporary state_dir.
  void rewrite(const std::string& yaml) {
    vt::write_text(config, vt::with_state_dir(yaml, dir / "state"));
  }
  std::string metrics() { return proc->get("/metrics").body; }
  /// Polls /metrics until `name{labels}` >= `at_least`.
  bool wait_metric(const std::string& name,
                   const std::map<std::string, std::string>& labels,
                   double at_least,
                   std::chrono::milliseconds within = 30s) {
    return vt::wait_until(vt::after(within), [&] {
      const auto v = vt::metric_value(metrics(), name, labels);
      return v && *v >= at_least;
    });
  }
  /// Polls until route `route` has at least `at_least` ok probes.
  bool wait_ok_probes(const std::string& route, double at_least) {
    return wait_metric("visionwatch_probes_total", {{"route", route}, {"outcome", "ok"}}, at_least);
  }
  json route(const std::string& name) {
    const auto r = proc->get("/api/v1/routes/" + name);
    return r.status == 200 ? json::parse(r.body, nullptr, false) : json();
  }
};

std::uint64_t max_sequence(const json& route) {
  std::uint64_t m = 0;
  for (const auto& r : route.value("results", json::array())) {
    m = std::max(m, r.value("sequence", std::uint64_t{0}));
  }
  return m;
}

const std::vector<vt::test_route> three_routes = {
    {"healthy", "vision-healthy", "digits"},
    {"drops-image-says-so", "vision-drops-image-says-so", "count"},
    {"drops-image-guesses", "vision-drops-image-guesses", "color"},
};

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE("metrics show a healthy route as ok and a dropping route as no_image_claim") {
    const vt::started_demo_gateway gw;
    running_daemon d(vt::e2e_config(gw.base_url(), three_routes));
    REQUIRE(d.wait_metric("visionwatch_probes_total",
                          {{"route", "drops-image-says-so"}, {"outcome", "no_image_claim"}},
                          1));
    REQUIRE(d.wait_metric("visionwatch_probe_success", {{"route", "healthy"}}, 1));
    const auto res = d.proc->get("/metrics");
    CHECK(res.status == 200);
    CHECK(res.header("content-type").starts_with("text/plain; version=0.0.4"));
    const auto& m = res.body;
    for (const auto o : visionwatch::all_outcomes) {
      for (const auto& r : three_routes) {
        INFO(r.name << " " << visionwatch::to_string(o));
        CHECK(vt::metric_value(m,
                               "visionwatch_probes_total",
                               {{"route", r.name}, {"outcome", std::string(to_string(o))}})
                  .has_value());
      }
    }
    CHECK(vt::metric_value(m, "visionwatch_probe_success", {{"route", "healthy"}}) == 1.0);
    CHECK(vt::metric_value(m, "visionwatch_probe_success", {{"route", "drops-image-says-so"}}) ==
          0.0);
    CHECK(vt::metric_value(m, "visionwatch_build_info", {}) == 1.0);
    CHECK(vt::metric_value(
              m,
              "visionwatch_route_info",
              {{"route", "healthy"}, {"model", "vision-healthy"}, {"gateway", "sim"}}) == 1.0);
  }

  TEST_CASE(
      "the routes API lists recent results with outcome - reason - phases - tokens and cost") {
    const vt::started_demo_gateway gw;
    running_daemon d(vt::e2e_config(gw.base_url(), three_routes));
    REQUIRE(d.wait_metric("visionwatch_probes_total",
                          {{"route", "drops-image-says-so"}, {"outcome", "no_image_claim"}},
                          2));
    REQUIRE(d.wait_ok_probes("healthy", 2));
    const auto res = d.proc->get("/api/v1/routes");
    REQUIRE(res.status == 200);
    CHECK(res.header("content-type").starts_with("application/json"));
    const auto j = json::parse(res.body, nullptr, false);
    REQUIRE(j.is_object());
    REQUIRE(j["routes"].size() == 3);
    for (const auto& r : j["routes"]) {
      INFO(r.dump());
      REQUIRE(r["results"].is_array());
      REQUIRE(!r["results"].empty());
      CHECK(r["window"]["probes"].get<int>() >= 1);
      for (const auto& p : r["results"]) {
        CHECK(p.contains("outcome"));
        CHECK(p.contains("reason"));
        CHECK(p["latency_seconds"].is_number());
        CHECK(p["phases"].contains("ttfb"));
        CHECK(p["tokens"].contains("prompt"));
        CHECK(p["cost_usd"].is_number());
        CHECK(p["seed"].is_string());
      }
      const auto name = r["route"].get<std::string>();
      if (name == "healthy") {
        CHECK(r["window"]["success_ratio"].get<double>() > 0.0);
        CHECK(r["window"]["latency_seconds"]["p50"].is_number());
        CHECK(r["window"]["cost_per_success_usd"].is_number());
      } else if (name == "drops-image-says-so") {
        bool claim = false;
        for (const auto& p : r["results"]) {
          if (p["outcome"] == "no_image_claim") {
            claim = true;
            CHECK(!p["reason"].get<std::string>().empty());
            CHECK(p["silent"] == true);
          }
        }
        CHECK(claim);
        CHECK(r["window"]["silent_failures"].get<int>() >= 1);
      }
    }
  }

  TEST_CASE("POST probe returns a fresh result and 404 for an unknown route") {
    const vt::started_demo_gateway gw;
    running_daemon d(vt::e2e_config(gw.base_url(), three_routes, {}, "30s"));
    // The start-up baseline request occupies the route (409) until it is done.
    REQUIRE(d.wait_metric("visionwatch_usage_baseline_tokens", {{"route", "healthy"}}, 1));
    const auto before = gw.request_count();
    const auto res = d.proc->post("/api/v1/routes/healthy/probe");
    REQUIRE(res.status == 200);
    const auto j = json::parse(res.body, nullptr, false);
    INFO(res.body);
    CHECK(j["sequence"].get<int>() >= 1);
    CHECK(j["outcome"] == "ok");
    CHECK(gw.request_count() > before);
    // The result is in the route's history too.
    const auto route = d.route("healthy");
    bool found = false;
    for (const auto& r : route["results"]) {
      found = found || r["sequence"] == j["sequence"];
    }
    CHECK(found);
    CHECK(d.proc->post("/api/v1/routes/no-such-route/probe").status == 404);
    CHECK(d.proc->get("/api/v1/routes/no-such-route").status == 404);
  }

  TEST_CASE("the status page is HTML naming every route") {
    const vt::started_demo_gateway gw;
    running_daemon d(vt::e2e_config(gw.base_url(), three_routes));
    const auto res = d.proc->get("/");
    REQUIRE(res.status == 200);
    CHECK(res.header("content-type").starts_with("text/html"));
    CHECK(res.body.find("<html") != std::string::npos);
    for (const auto& r : three_routes) {
      CHECK(res.body.find(r.name) != std::string::npos);
    }
  }

  TEST_CASE("SIGHUP reload adds and removes routes and keeps an unchanged route's history") {
    const vt::started_demo_gateway gw;
    running_daemon d(
        vt::e2e_config(gw.base_url(), {{"keep", "vision-healthy"}, {"gone", "vision-healthy"}}));
    REQUIRE(d.wait_ok_probes("keep", 2));
    REQUIRE(d.wait_metric("visionwatch_usage_baseline_tokens", {{"route", "keep"}}, 1));
    const auto before = d.route("keep");
    const auto seq_before = max_sequence(before);
    const auto count_before = before["results"].size();
    const auto& baseline = before["baseline_prompt_tokens"];
    REQUIRE(baseline.is_number());

    d.rewrite(
        vt::e2e_config(gw.base_url(), {{"keep", "vision-healthy"}, {"added", "vision-healthy"}}));
    d.proc->signal(SIGHUP);
    REQUIRE(vt::wait_until(vt::after(20s), [&] {
      const auto m = d.metrics();
      return m.find("route=\"added\"") != std::string::npos &&
             m.find("route=\"gone\"") == std::string::npos;
    }));
    REQUIRE(d.wait_ok_probes("added", 1));
    CHECK(vt::metric_value(d.metrics(), "visionwatch_config_last_reload_successful", {}) == 1.0);
    // The kept route goes on counting from where it was.
    REQUIRE(vt::wait_until(vt::after(20s),
                           [&] { return max_sequence(d.route("keep")) > seq_before + 1; }));
    const auto later = d.route("keep");
    CHECK(later["results"].size() >= count_before);
    CHECK(later["baseline_prompt_tokens"] == baseline);
    CHECK(d.proc->get("/api/v1/routes/gone").status == 404);
    CHECK(d.proc->log().find("1 added, 1 removed") != std::string::npos);
  }

  TEST_CASE("an invalid reload is rejected with errors and the old configuration keeps running") {
    const vt::started_demo_gateway gw;
    const auto good = vt::e2e_config(gw.base_url(), {{"healthy", "vision-healthy"}});
    running_daemon d(good);
    REQUIRE(d.wait_ok_probes("healthy", 1));

    d.rewrite(vt::e2e_config(gw.base_url(), {{"healthy", "vision-healthy", "no-such-kind"}}) +
              "  - {name: orphan, gateway: missing-gateway, model: m}\n");
    const auto res = d.proc->post("/-/reload");
    CHECK(res.status == 400);
    const auto j = json::parse(res.body, nullptr, false);
    INFO(res.body);
    REQUIRE(j["errors"].is_array());
    CHECK(j["errors"].size() >= 2);
    CHECK(res.body.find("no-such-kind") != std::string::npos);
    CHECK(res.body.find("missing-gateway") != std::string::npos);
    CHECK(vt::metric_value(d.metrics(), "visionwatch_config_last_reload_successful", {}) == 0.0);
    CHECK(d.metrics().find("route=\"orphan\"") == std::string::npos);
    // The previous configuration keeps probing.
    const auto ok = vt::metric_value(
        d.metrics(), "visionwatch_probes_total", {{"route", "healthy"}, {"outcome", "ok"}});
    REQUIRE(ok);
    CHECK(d.wait_ok_probes("healthy", *ok + 1));

    d.rewrite(good);
    CHECK(d.proc->post("/-/reload").status == 200);
    CHECK(vt::metric_value(d.metrics(), "visionwatch_config_last_reload_successful", {}) == 1.0);
  }

  TEST_CASE("SIGTERM waits for the in-flight probe and exits 0 within the grace period") {
    // Every answer takes 3 s, so the start-up baseline request is in flight at once.
    visionwatch::sim_model model;
    visionwatch::sim_gateway gw([&model](const visionwatch::received_request& req) {
      auto plan = model.respond(req, visionwatch::sim_behaviour::healthy);
      plan.delay = 3s;
      return plan;
    });
    gw.start();
    running_daemon d(vt::e2e_config(
        gw.base_url(), {{"slow", "vision-healthy"}}, "  shutdown_grace: 8s\n", "10s"));
    REQUIRE(d.wait_metric("visionwatch_probes_in_flight", {}, 1, 10s));
    d.proc->signal(SIGTERM);
    const auto code = d.proc->wait_exit(vt::after(8s + 5s));
    const auto log = d.proc->log();
    INFO(log);
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    const auto waiting = log.find("waiting up to 8000 ms for 1 in-flight probe(s)");
    const auto done = log.find("route=slow", waiting == std::string::npos ? 0 : waiting);
    const auto stopped = log.find("stopped", waiting == std::string::npos ? 0 : waiting);
    CHECK(waiting != std::string::npos);
    CHECK(done != std::string::npos);  // the probe finished and was logged before the exit
    CHECK(stopped != std::string::npos);
    CHECK(log.find("cancelling") == std::string::npos);
  }

  TEST_CASE("bad HTTP requests get 4xx and the daemon keeps serving") {
    const vt::started_demo_gateway gw;
    running_daemon d(vt::e2e_config(gw.base_url(), {{"healthy", "vision-healthy"}}, {}, "30s"));
    const auto port = d.proc->port();
    auto raw = [&](const std::string& bytes) {
      vt::raw_connection c("127.0.0.1", port);
      c.send(bytes);
      const auto r = c.read_response(10s);
      return r ? r->status : 0U;
    };
    const auto garbage = raw("\x16\x03\x01 this is not http\r\n\r\n");
    CHECK(garbage >= 400);
    CHECK(garbage < 500);
    CHECK(raw("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " +
              std::string(std::size_t{64} * 1024, 'a') + "\r\n\r\n") == 431);
    CHECK(raw("GET /no/such/path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") == 404);
    CHECK(raw("DELETE /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") == 405);
    CHECK(raw("POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n") == 400);
    CHECK(d.proc->running());
    CHECK(d.proc->get("/metrics").status == 200);
    CHECK(d.proc->get("/-/healthy").status == 200);
  }

  TEST_CASE("on a non-loopback listener mutating endpoints need the bearer token") {
    const vt::started_demo_gateway gw;
    const std::string token = "e2e-secret-token-5f1c";
    running_daemon d(
        vt::e2e_config(
            gw.base_url(), {{"healthy", "vision-healthy"}}, "  admin_token_env: VW_E2E_TOKEN\n"),
        {"--listen", "0.0.0.0:0"},
        {"VW_E2E_TOKEN=" + token});
    CHECK(d.proc->post("/-/reload").status == 401);
    CHECK(d.proc->request("POST", "/-/reload", {}, {{"Authorization", "Bearer wrong"}}).status ==
          401);
    CHECK(d.proc->request("POST", "/-/reload", {}, {{"Authorization", "Bearer " + token}}).status ==
          200);
    CHECK(d.proc->get("/metrics").status == 200);  // reads stay open for Prometheus
    CHECK(d.proc->log().find(token) == std::string::npos);
    CHECK(d.metrics().find(token) == std::string::npos);
  }

  TEST_CASE("run refuses a non-loopback --listen without an admin token") {
    const auto dir = vt::make_temp_dir("vw-e2e");
    vt::write_text(
        dir / "config.yaml",
        vt::with_state_dir(vt::e2e_config("http://127.0.0.1:9/v1", {{"healthy", "vision-healthy"}}),
                           dir / "state"));
    // Each listener exits 64 with a log naming what is wrong: no token for 0.0.0.0, and a host
    // name where an address belongs.
    const std::vector<std::pair<std::string, std::string>> refused = {
        {"0.0.0.0:0", "admin_token"}, {"localhost:80", "localhost:80"}};
    for (const auto& [listen, named] : refused) {
      CAPTURE(listen);
      vt::daemon_process p({"run", "--config", (dir / "config.yaml").string(), "--listen", listen},
                           dir / ("daemon-" + named + ".log"));
      const auto code = p.wait_exit(vt::after(20s));
      INFO(p.log());
      REQUIRE(code.has_value());
      CHECK(*code == 64);
      CHECK(p.log().find(named) != std::string::npos);
    }
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("visionwatch demo shows healthy and silently failing routes within two intervals") {
    const auto dir = vt::make_temp_dir("vw-e2e");
    vt::daemon_process p({"demo", "--listen", "127.0.0.1:0", "--interval", "2s"}, dir / "demo.log");
    REQUIRE(p.wait_ready(vt::after(20s)));
    auto value = [&](const std::string& route, const std::string& outcome) {
      return vt::metric_value(p.get("/metrics").body,
                              "visionwatch_probes_total",
                              {{"route", route}, {"outcome", outcome}})
          .value_or(0);
    };
    // Two intervals, the slow route's up to 6 s, and slack for a loaded machine.
    const bool seen = vt::wait_until(vt::after(30s), [&] {
      return value("healthy", "ok") > 0 && value("drops-image-says-so", "no_image_claim") > 0 &&
             value("drops-image-guesses", "wrong_answer") +
                     value("drops-image-guesses", "image_tokens_missing") >
                 0;
    });
    INFO(p.log());
    CHECK(seen);
    const auto page = p.get("/");
    CHECK(page.status == 200);
    for (const auto* name :
         {"healthy", "drops-image-says-so", "drops-image-guesses", "slow", "flaky"}) {
      CHECK(page.body.find(name) != std::string::npos);
    }
    CHECK(page.body.find("no_image_claim") != std::string::npos);
    p.signal(SIGTERM);
    CHECK(p.wait_exit(vt::after(20s)) == 0);
    std::filesystem::remove_all(dir);
  }
}

TEST_SUITE("e2e") {
  TEST_CASE("a daemon under test without a state_dir is refused before it can write ./state") {
    const auto dir = vt::make_temp_dir("vw-e2e");
    const auto bare = vt::e2e_config("http://127.0.0.1:9/v1", {{"healthy", "vision-healthy"}});
    vt::write_text(dir / "config.yaml", bare);
    CHECK_THROWS_AS(
        vt::daemon_process({"run", "--config", (dir / "config.yaml").string()}, dir / "daemon.log"),
        std::invalid_argument);
    const auto with = vt::with_state_dir(bare, dir / "state");
    CHECK(with.find("state_dir: \"" + (dir / "state").string() + "\"") != std::string::npos);
    CHECK(vt::with_state_dir(with, "/elsewhere") == with);
    CHECK_NOTHROW(vt::refuse_default_state_dir(
        {"visionwatch", "run", "--config", (dir / "config.yaml").string()},
        {"STATE_DIRECTORY=" + (dir / "state").string()}));
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("SIGHUP with a model name that is not UTF-8 is rejected and the daemon keeps running") {
    const vt::started_demo_gateway gw;
    const auto good = vt::e2e_config(gw.base_url(), {{"healthy", "vision-healthy"}});
    running_daemon d(good);
    REQUIRE(d.wait_ok_probes("healthy", 1));
    d.rewrite(vt::e2e_config(gw.base_url(), {{"healthy", "vision-\xff"}}));
    d.proc->signal(SIGHUP);
    REQUIRE(d.proc->wait_for_log("reload rejected", vt::after(20s)));
    CHECK(d.proc->running());
    CHECK(d.proc->get("/-/healthy").status == 200);
    CHECK(vt::metric_value(d.metrics(), "visionwatch_config_last_reload_successful", {}) == 0.0);
    const auto res = d.proc->post("/-/reload");
    INFO(res.body);
    CHECK(res.status == 400);
    CHECK(res.body.find("not valid UTF-8") != std::string::npos);
    CHECK(res.body.find("config.yaml:") != std::string::npos);
    CHECK(vt::metric_value(d.metrics(),
                           "visionwatch_route_info",
                           {{"route", "healthy"}, {"model", "vision-healthy"}}) == 1.0);
  }

  TEST_CASE("a state file that cannot be written shows in metrics and is retried until it works") {
    const vt::started_demo_gateway gw;
    const auto state = vt::make_temp_dir("vw-state");
    // The state store writes state.json.tmp and renames it: a directory in its place makes every
    // write fail, for root as well (no tmpfs mount or chmod needed).
    const auto blocker = state / "state.json.tmp";
    std::filesystem::create_directories(blocker / "keep");
    running_daemon d(vt::e2e_config(gw.base_url(),
                                    {{"healthy", "vision-healthy"}},
                                    "  state_dir: \"" + state.string() + "\"\n"));
    const auto silence =
        d.proc->post("/api/v1/silences", R"({"route": "healthy", "duration": "1h"})");
    REQUIRE(silence.status == 201);
    auto value = [&](const char* name) { return vt::metric_value(d.metrics(), name, {}); };
    CHECK(value("visionwatch_state_last_save_successful") == 0.0);
    CHECK_FALSE(value("visionwatch_state_last_save_timestamp_seconds").has_value());
    CHECK_FALSE(std::filesystem::exists(state / "state.json"));
    std::filesystem::remove_all(blocker);
    CHECK(vt::wait_until(vt::after(20s),
                         [&] { return value("visionwatch_state_last_save_successful") == 1.0; }));
    CHECK(value("visionwatch_state_last_save_timestamp_seconds").value_or(0) > 0);
    CHECK(std::filesystem::exists(state / "state.json"));
    std::filesystem::remove_all(state);
  }

  TEST_CASE("visionwatch demo removes its temporary state directory when it stops") {
    const auto dir = vt::make_temp_dir("vw-e2e");
    const auto tmp = dir / "tmp";
    std::filesystem::create_directories(tmp);
    vt::daemon_process p({"demo", "--listen", "127.0.0.1:0", "--interval", "2s"},
                         dir / "demo.log",
                         {"TMPDIR=" + tmp.string()});
    REQUIRE(p.wait_ready(vt::after(20s)));
    CHECK_FALSE(std::filesystem::is_empty(tmp));  // the demo's state directory
    p.signal(SIGTERM);
    CHECK(p.wait_exit(vt::after(20s)) == 0);
    INFO(p.log());
    CHECK(std::filesystem::is_empty(tmp));
    std::filesystem::remove_all(dir);
  }
}

}  // namespace daemon_test
