// End to end with the sim's own shape-breaking behaviours (model vision-<behaviour>, as the demo
// selects them): `check` fails each route for its one broken shape and passes plain; the daemon
// reports tools failing and plain passing with the shape in the reason and plain's metrics as
// they were; the demo shows breaks-with-tools green for plain and red for tools.
#include <doctest/doctest.h>
#include <csignal>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/config/exit_codes.hpp"
#include "daemon/sim/demo.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/shape_check_support.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_paths.hpp"

namespace shapes_requests_test {

namespace {

using namespace visionwatch::e2e_test_names;

const std::vector<vt::shape_route>& routes() {
  static const std::vector<vt::shape_route> r = {
      {"tools-break", "chat", "vision-drops-image-with-tools", "[plain, tools]", "tools"},
      {"system-breaks", "chat", "vision-drops-image-with-system", "[plain, system]", "system"},
      {"earlier-breaks", "chat", "vision-drops-earlier-images", "[plain, history]", "history"},
      {"chat-healthy", "chat", "vision-healthy", "[plain, system, tools, history]", ""},
      {"messages-tools-break",
       "messages",
       "vision-drops-image-with-tools",
       "[plain, tools]",
       "tools"},
      {"messages-healthy", "messages", "vision-healthy", "[plain, system, tools, history]", ""},
  };
  return r;
}

std::string config(const std::string& gateway_url, const std::vector<vt::shape_route>& list) {
  std::string y =
      "global:\n  listen: \"127.0.0.1:0\"\n"
      "defaults:\n  interval: 1s\n  timeout: 1s\n  baseline_interval: 1h\n"
      "  challenge: {kind: count}\n"
      "gateways:\n"
      "  - {name: chat, base_url: \"" +
      gateway_url +
      "\", api: openai-chat, proxy_url: none, max_concurrency: 8}\n"
      "  - {name: messages, base_url: \"" +
      gateway_url + "\", api: anthropic-messages, proxy_url: none, max_concurrency: 8}\n";
  return y + vt::shape_routes_yaml(list);
}

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE("check fails each route for its one broken request shape and passes the others") {
    const vt::started_demo_gateway gw;
    const auto dir = vt::make_temp_dir("vw-e2e-shapes-req");
    const auto file = dir / "config.yaml";
    vt::write_text(file, config(gw.base_url(), routes()));
    for (const auto& route : vt::check_each_fails_only_its_shape(file, routes(), 2, "20261202")) {
      CAPTURE(route.at("route").get<std::string>());
      for (const auto& sh : route.at("shapes")) {
        CHECK(sh.at("probes") == 2);
      }
    }
    fs::remove_all(dir);
  }

  TEST_CASE(
      "the daemon reports tools failing and plain passing - named - plain metrics as before") {
    const vt::started_demo_gateway gw;
    const auto dir = vt::make_temp_dir("vw-e2e-shapes-daemon");
    const auto file = dir / "config.yaml";
    vt::write_text(
        file,
        vt::with_state_dir(
            config(gw.base_url(),
                   {routes()[0], {"plain-only", "chat", "vision-healthy", "[plain]", ""}}),
            dir / "state"));
    vt::daemon_process d({"run", "--config", file.string()}, dir / "daemon.log");
    REQUIRE(d.wait_ready(vt::after(20s)));
    CHECK(d.wait_for_log("fails only with tools", vt::after(30s)));
    REQUIRE(vt::wait_until(vt::after(30s), [&] {
      return d.metric("visionwatch_shape_success",
                      {{"route", "tools-break"}, {"shape", "plain"}}) == 1.0 &&
             d.metric("visionwatch_shape_success",
                      {{"route", "tools-break"}, {"shape", "tools"}}) == 0.0 &&
             d.metric("visionwatch_alerts_firing",
                      {{"route", "tools-break"}, {"rule", "silent_failure"}}) == 1.0;
    }));
    INFO(d.log());
    CHECK(d.log().find("shape=tools") != std::string::npos);
    const auto route = json::parse(d.get("/api/v1/routes/tools-break").body, nullptr, false);
    CHECK(route.at("shapes_summary").get<std::string>().starts_with("fails only with tools: "));
    // The plain-only route beside it: every probe ok, no shape but plain anywhere.
    CHECK(d.metric("visionwatch_shape_failures_total", {{"route", "plain-only"}}) == 0.0);
    CHECK(d.metric("visionwatch_probe_success", {{"route", "plain-only"}}) == 1.0);
    d.signal(SIGTERM);
    CHECK(d.wait_exit(vt::after(20s)) == 0);
    fs::remove_all(dir);
  }

  TEST_CASE("the demo shows breaks-with-tools green for plain and red for tools") {
    const auto dir = vt::make_temp_dir("vw-e2e-shapes-demo");
    vt::daemon_process p({"demo", "--listen", "127.0.0.1:0", "--interval", "2s"}, dir / "demo.log");
    REQUIRE(p.wait_ready(vt::after(20s)));
    const bool seen = vt::wait_until(vt::after(40s), [&] {
      return p.metric("visionwatch_shape_success",
                      {{"route", "breaks-with-tools"}, {"shape", "plain"}}) == 1.0 &&
             p.metric("visionwatch_shape_success",
                      {{"route", "breaks-with-tools"}, {"shape", "tools"}}) == 0.0;
    });
    INFO(p.log());
    CHECK(seen);
    CHECK(p.get("/").body.find("fails only with tools") != std::string::npos);
    p.signal(SIGTERM);
    CHECK(p.wait_exit(vt::after(20s)) == 0);
    fs::remove_all(dir);
  }
}

}  // namespace shapes_requests_test
