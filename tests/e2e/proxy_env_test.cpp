// The proxy environment as users set it: `HTTPS_PROXY=127.0.0.1:3128` (no scheme; curl reads it
// as http://) once made every command refuse to start, even for plain-http gateways that never
// use that proxy. The real binary's validate, check and run, each with that environment.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "daemon/config/exit_codes.hpp"
#include "daemon/sim/demo.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/process.hpp"

namespace proxy_env_test {

namespace {

using namespace visionwatch::e2e_test_names;

/// The proxy variables of a shell that exported only a scheme-less HTTPS_PROXY (whatever the
/// test's own environment holds).
const std::vector<std::string> proxy_env = {"HTTPS_PROXY=127.0.0.1:3128",
                                            "https_proxy=",
                                            "HTTP_PROXY=",
                                            "http_proxy=",
                                            "ALL_PROXY=",
                                            "all_proxy=",
                                            "NO_PROXY=",
                                            "no_proxy="};

/// A plain-http gateway (the simulated one) using the environment's proxies (no proxy_url), and
/// optionally an https gateway that would go through HTTPS_PROXY.
std::string config_yaml(const std::string& plain_url, const fs::path& state, bool with_https) {
  std::string y = "global:\n  listen: \"127.0.0.1:0\"\n  state_dir: \"" + state.string() +
                  "\"\n"
                  "defaults: {interval: 1s, timeout: 1s, baseline_interval: 10m}\n"
                  "gateways:\n"
                  "  - {name: plain, base_url: \"" +
                  plain_url + "\", api: openai-chat}\n";
  if (with_https) {
    y += "  - {name: secure, base_url: \"https://api.example/v1\", api: openai-chat}\n";
  }
  y += "routes:\n  - {name: healthy, gateway: plain, model: vision-healthy}\n";
  if (with_https) {
    y += "  - {name: far, gateway: secure, model: vision-healthy}\n";
  }
  return y;
}

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE("a scheme-less HTTPS_PROXY lets validate and check and run start") {
    const auto dir = vt::make_temp_dir("vw-proxy-env");
    const vt::started_demo_gateway gw;
    const auto binary = vt::visionwatch_binary().string();

    // validate: the https gateway's proxy parses as curl reads it.
    const auto both = dir / "both.yaml";
    vt::write_text(both, config_yaml(gw.base_url(), dir / "state", true));
    const auto validated =
        vt::run_process({binary, "validate", "--config", both.string()}, proxy_env);
    INFO(validated.out << validated.err);
    CHECK(validated.exit_code == visionwatch::exit_ok);

    // check and run: the plain-http gateway does not use HTTPS_PROXY and probes as usual.
    const auto plain = dir / "plain.yaml";
    vt::write_text(plain, config_yaml(gw.base_url(), dir / "state", false));
    const auto checked = vt::run_process(
        {binary, "check", "--config", plain.string(), "--probes", "1"}, proxy_env, 60s);
    INFO(checked.out << checked.err);
    CHECK(checked.exit_code == visionwatch::exit_ok);

    vt::daemon_process daemon({"run", "--config", plain.string()}, dir / "daemon.log", proxy_env);
    const bool ready = daemon.wait_ready(vt::after(20s));
    INFO(daemon.log_tail());
    REQUIRE(ready);
    CHECK(vt::wait_until(vt::after(20s), [&] {
      return daemon.metric("visionwatch_probes_total", {{"route", "healthy"}, {"outcome", "ok"}})
                 .value_or(0) >= 1;
    }));
    CHECK(daemon.stop() == 0);
    fs::remove_all(dir);
  }
}

}  // namespace proxy_env_test
