// End to end with shapes: the real `visionwatch check` and `visionwatch run` against an upstream
// in this process that loses the image only when it sits in an earlier turn (shape history,
// expressed by this branch's requests through the question's shape_history_prefix). `check`
// runs N probes of every shape and fails the route for that shape alone; the daemon logs and
// exports the failing shape. The same tests for the tools shape against the sim's own
// behaviour are in shapes_after_merge.cpp (enabled once the request shapes are merged).
#include <doctest/doctest.h>
#include <csignal>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/config/exit_codes.hpp"
#include "daemon/sim/sim_model.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/shape_check_support.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/process.hpp"
#include "tests/support/shape_upstream.hpp"
#include "tests/support/test_paths.hpp"

namespace shapes_test {

namespace {

using namespace visionwatch::e2e_test_names;

/// Model "drops-earlier" loses the image when the question refers to an earlier turn; every
/// other model is healthy.
std::unique_ptr<vt::fake_upstream> upstream() {
  auto up = std::make_unique<vt::fake_upstream>(vt::pixel_reader_options());
  up->set_behaviour(sim_behaviour::healthy);
  up->set_handler("drops-earlier", vt::drops_earlier_turn_images());
  up->start();
  return up;
}

std::string config(const std::string& base_url, const std::string& routes) {
  return "global:\n  listen: \"127.0.0.1:0\"\n"
         "defaults:\n  interval: 1s\n  timeout: 1s\n  baseline_interval: 1h\n"
         "  challenge: {kind: count}\n"
         "gateways:\n  - {name: sim, base_url: \"" +
         base_url + "\", proxy_url: none, max_concurrency: 8}\nroutes:\n" + routes;
}

struct temp_config {
  fs::path dir = vt::make_temp_dir("vw-e2e-shapes");
  fs::path file = dir / "config.yaml";
  explicit temp_config(const std::string& yaml) {
    vt::write_text(file, vt::with_state_dir(yaml, dir / "state"));
  }
  ~temp_config() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  temp_config(const temp_config&) = delete;
  temp_config& operator=(const temp_config&) = delete;
};

vt::process_result check(const temp_config& c, std::vector<std::string> extra) {
  std::vector<std::string> argv = {vt::visionwatch_binary().string(),
                                   "check",
                                   "--seed",
                                   "20261201",
                                   "--config",
                                   c.file.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return vt::run_process(argv, {}, 120s);
}

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE("check runs N probes of every shape and fails a route for its one failing shape") {
    const auto up = upstream();
    const temp_config c(config(up->base_url(),
                               "  - {name: earlier, gateway: sim, model: drops-earlier, "
                               "shapes: [plain, history]}\n"
                               "  - {name: fine, gateway: sim, model: healthy, "
                               "shapes: [plain, system, history]}\n"));
    const auto r = vt::run_check_json(c.file, 2, "20261201");
    INFO("stdout:\n" << r.process.out << "\nstderr:\n" << r.process.err);
    CHECK(r.process.exit_code == visionwatch::exit_failed);
    const auto& j = r.out;
    REQUIRE(j.is_object());
    CHECK(j.at("passed") == false);
    const auto& earlier = j.at("routes").at(0);
    CHECK(earlier.at("route") == "earlier");
    vt::check_only_shape_failing(earlier, "history");
    CHECK(earlier.at("verdict") == "FAIL: fails only with history: 2/2 no_image_claim");
    REQUIRE(earlier.at("shapes").size() == 2);
    CHECK(earlier.at("shapes").at(0).at("shape") == "plain");
    CHECK(earlier.at("shapes").at(0).at("ok") == 2);
    CHECK(earlier.at("shapes").at(1).at("probes") == 2);
    REQUIRE(earlier.at("results").size() == 4);
    for (const auto& p : earlier.at("results")) {
      if (p.at("shape") == "history") {
        CHECK(p.at("outcome") == "no_image_claim");
        CHECK(p.at("reason").get<std::string>().starts_with("with history: "));
      } else {
        CHECK(p.at("shape") == "plain");
        CHECK(p.at("outcome") == "ok");
        CHECK(p.at("reason") == "");  // plain's results are as they were
      }
    }
    const auto& fine = j.at("routes").at(1);
    vt::check_only_shape_failing(fine, "");
    CHECK(fine.at("verdict") == "PASS");
    CHECK(fine.at("results").size() == 6);
    // A control request per request form, then two probes per shape.
    CHECK(up->request_count() == (2 + 4) + (3 + 6));
  }

  TEST_CASE("check's table shows a row per shape and exits 0 when every shape passes") {
    const auto up = upstream();
    const temp_config c(config(up->base_url(),
                               "  - {name: fine, gateway: sim, model: healthy, "
                               "shapes: [plain, history]}\n"
                               "  - {name: plain-only, gateway: sim, model: healthy}\n"));
    const auto r = check(c, {"-n", "1"});
    INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
    CHECK(r.exit_code == visionwatch::exit_ok);
    CHECK(r.out.find("shape plain") != std::string::npos);
    CHECK(r.out.find("shape history") != std::string::npos);
    CHECK(r.out.find("PASS (1/1 ok)") != std::string::npos);
    // Only the default shape: the table has no shape rows, as before shapes existed.
    const temp_config plain(
        config(up->base_url(), "  - {name: p, gateway: sim, model: healthy}\n"));
    const auto p = check(plain, {"-n", "1"});
    CHECK(p.exit_code == visionwatch::exit_ok);
    CHECK(p.out.find("shape ") == std::string::npos);
  }

  TEST_CASE("the daemon logs and exports the failing shape and keeps plain green") {
    const auto up = upstream();
    const temp_config c(config(up->base_url(),
                               "  - {name: earlier, gateway: sim, model: drops-earlier, "
                               "shapes: [plain, history]}\n"));
    vt::daemon_process d({"run", "--config", c.file.string()}, c.dir / "daemon.log");
    REQUIRE(d.wait_ready(vt::after(20s)));
    CHECK(d.wait_for_log("fails only with history", vt::after(30s)));
    INFO(d.log());
    CHECK(d.log().find("shape=history") != std::string::npos);
    CHECK(d.log().find("shape=plain") != std::string::npos);
    REQUIRE(vt::wait_until(vt::after(30s), [&] {
      return d.metric("visionwatch_shape_success", {{"route", "earlier"}, {"shape", "plain"}}) ==
                 1.0 &&
             d.metric("visionwatch_shape_success", {{"route", "earlier"}, {"shape", "history"}}) ==
                 0.0;
    }));
    CHECK(d.metric("visionwatch_shape_failures_total",
                   {{"route", "earlier"}, {"shape", "plain"}}) == 0.0);
    const auto page = d.get("/").body;
    CHECK(page.find("fails only with history: no_image_claim") != std::string::npos);
    d.signal(SIGTERM);
    CHECK(d.wait_exit(vt::after(20s)) == 0);
  }
}

}  // namespace shapes_test
