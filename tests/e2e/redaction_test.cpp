// Plants credentials of every common shape, and the gateway's and the receiver's own configured
// secrets, in what a fake upstream and a fake receiver send back (2xx error body, 4xx JSON and
// text bodies, a redirect's Location, the answer itself, a receiver's error reply), then runs the
// real `visionwatch check` (json and table) and the daemon against them and greps everything
// they output (stdout, stderr, the log, /api/v1/routes, the status page, /metrics): no planted
// key may appear.
#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/sim/sim_gateway.hpp"
#include "daemon/sim/sim_model.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/process.hpp"
#include "tests/support/wait_until.hpp"

namespace redaction_test {

namespace {

using namespace visionwatch::e2e_test_names;

// The gateway's own secrets: shapes no pattern knows.
constexpr vt::env_secret custom_key{"VW_E2E_REDACT_KEY", "hunter2-custom-token-xyz"};
constexpr vt::env_secret header_secret{"VW_E2E_REDACT_HEADER", "hdr-secret-value-7731"};
// The receiver's own secrets: the routing key is its signing secret.
constexpr vt::env_secret routing_key{"VW_E2E_REDACT_RECEIVER_SECRET",
                                     "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"};
constexpr const char* receiver_token = "rcvtoken0123456789abcdefXYZ";

/// Every key that must never come out.
const std::vector<std::string>& planted() {
  static const std::vector<std::string> keys = {
      custom_key.value,
      header_secret.value,
      routing_key.value,
      receiver_token,
      "sk-proj-Zx81LmQ2vN7bT4cK9wR3yU6pA0sD5fG",
      "AIzaSyD3f9Xk2LmQ7rTvW8yZ1aB4cE6gH0jK5nP",
      "gsk_7Hq2Lm9XvR4tY8wZ1aB3cD5eF6gJ0kN2pQ4sT6uV8xW",
      "xai-Zq8Wm3Lk7Jh2Gf5Ds9Ap1Ox4Ni6Mu0By3Cv7Et",
      "3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e",
      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "AKIAIOSFODNN7EXAMPLE",
      "ASIAJEXAMPLEXEG2JICE",
  };
  return keys;
}

/// A sentence naming every planted key but the receiver's own secrets (a gateway never sees
/// those), as a careless upstream's error message would.
std::string leaky_text() {
  std::string s = "Incorrect API key provided:";
  for (const auto& k : planted()) {
    if (k != routing_key.value && k != receiver_token) {
      s += " " + k + ",";
    }
  }
  return s + " check your credentials";
}

/// The common key shapes only: what a receiver might echo besides its own secrets (it never
/// sees a gateway's).
std::string shape_text() {
  std::string s;
  for (std::size_t i = 4; i < planted().size(); ++i) {
    s += " " + planted()[i] + ",";
  }
  return s;
}

std::string leaky_json_error() {
  return nlohmann::json{{"error", {{"message", leaky_text()}, {"type", "invalid_request_error"}}}}
      .dump();
}

/// The fake upstream: the behaviour is chosen by the model name.
response_plan leaky_upstream(const received_request& request) {
  const auto chat = visionwatch::parse_chat_request(request.body);
  const std::string model = chat ? chat->model : "";
  if (model == "error-2xx") {
    return response_plan::json(leaky_json_error(), 200);
  }
  if (model == "error-4xx") {
    return response_plan::json(leaky_json_error(), 401);
  }
  if (model == "text-4xx") {
    return response_plan::text(403, leaky_text());
  }
  if (model == "redirect") {
    auto p = response_plan::text(302, "moved");
    p.headers.emplace_back("Location",
                           "https://login.example/?key=" + std::string(custom_key.value) +
                               "&google=AIzaSyD3f9Xk2LmQ7rTvW8yZ1aB4cE6gH0jK5nP&aws=" +
                               "AKIAIOSFODNN7EXAMPLE");
    return p;
  }
  return vt::chat_completion(model, leaky_text(), 900);
}

const std::vector<std::string> models = {"error-2xx", "error-4xx", "text-4xx", "redirect", "answer"};

std::string config_yaml(const std::string& upstream_url,
                        const std::string& receiver_url,
                        const fs::path& state_dir) {
  std::string y = "global:\n  listen: \"127.0.0.1:0\"\n  state_dir: \"" + state_dir.string() +
                  "\"\n  public_url: \"http://watch.example\"\n";
  y += R"(defaults:
  interval: 1s
  timeout: 1s
  baseline_interval: 10m
  alerts:
    repeat_interval: 1h
    rules:
      silent_failure: {failure_threshold: 1, success_threshold: 2}
      route_down: {failure_threshold: 1}
      success_ratio: {enabled: false}
)";
  y += "gateways:\n  - name: leaky\n    base_url: \"" + upstream_url +
       "\"\n    api: openai-chat\n    proxy_url: none\n    api_key_env: " + custom_key.name +
       "\n    headers: {X-Custom-Auth: \"${" + header_secret.name + "}\"}\n";
  y += "routes:\n";
  for (const auto& m : models) {
    y += "  - {name: ";
    y += m;
    y += ", gateway: leaky, model: ";
    y += m;
    y += ", challenge: {kind: digits}}\n";
  }
  y += "receivers:\n  - {name: hook, type: webhook, url: \"" + receiver_url + "/" +
       receiver_token + "\", secret_env: " + routing_key.name + "}\n";
  return y;
}

std::vector<std::string> secret_env() {
  return {custom_key.assignment(), header_secret.assignment(), routing_key.assignment()};
}

/// Fails the test for every planted key found in `text` (the key itself is not printed).
void check_clean(const std::string& what, const std::string& text) {
  for (const auto& k : planted()) {
    INFO(what << " leaks the key planted as number " << (&k - planted().data()));
    CHECK(text.find(k) == std::string::npos);
  }
}

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE("no planted key reaches check output in json or table form") {
    sim_gateway upstream(leaky_upstream);
    upstream.start();
    const fs::path dir = vt::make_temp_dir("vw-e2e-redact-check");
    const fs::path config = dir / "visionwatch.yaml";
    vt::write_text(config, config_yaml(upstream.base_url(), "http://127.0.0.1:9/hook", dir));
    for (std::string format : {"json", "table"}) {
      CAPTURE(format);
      const auto r = vt::run_process(
          {vt::visionwatch_binary().string(), "check", "--config", config.string(), "--output",
           format, "--probes", "1"},
          secret_env(),
          120s);
      INFO(r.err);
      CHECK_FALSE(r.timed_out);
      // The routes did fail, and their reasons made it out (with the keys masked).
      CHECK(r.out.find("Incorrect API key provided") != std::string::npos);
      CHECK(r.out.find("***") != std::string::npos);
      check_clean("check stdout", r.out);
      check_clean("check stderr", r.err);
    }
    upstream.stop();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  TEST_CASE("no planted key reaches the daemon log API status page metrics or notifications") {
    sim_gateway upstream(leaky_upstream);
    upstream.start();
    // The receiver refuses every notification with a reply that echoes its own secrets.
    sim_gateway receiver([](const received_request&) {
      return response_plan::text(
          400, "bad signature for " + std::string(routing_key.value) + " at /hook/" +
                   receiver_token + "; keys:" + shape_text());
    });
    receiver.start();
    const fs::path dir = vt::make_temp_dir("vw-e2e-redact-daemon");
    const fs::path config = dir / "visionwatch.yaml";
    vt::write_text(config, config_yaml(upstream.base_url(), receiver.base_url(), dir / "state"));
    {
      vt::daemon_process d({"run", "--config", config.string()}, dir / "daemon.log", secret_env());
      REQUIRE(d.start());
      // Every route probed at least twice, and a notification refused (400: given up) and logged.
      const bool probed = vt::wait_until(vt::after(30s), [&] {
        for (const auto& m : models) {
          if (d.metric("visionwatch_probes_total", {{"route", m}}).value_or(0) < 2) {
            return false;
          }
        }
        return true;
      });
      INFO(d.log_tail());
      CHECK(probed);
      CHECK(d.wait_for_log("receiver=hook", vt::after(30s)));
      CHECK(receiver.request_count() > 0);

      const auto routes = d.get("/api/v1/routes");
      CHECK(routes.status == 200);
      CHECK(routes.body.find("Incorrect API key provided") != std::string::npos);
      check_clean("/api/v1/routes", routes.body);
      for (const auto& m : models) {
        check_clean("/api/v1/routes/" + m, d.get("/api/v1/routes/" + m).body);
      }
      check_clean("the status page", d.get("/").body);
      check_clean("/metrics", d.get("/metrics").body);
      check_clean("the daemon log", d.log());
      CHECK(d.stop() == 0);
      check_clean("the daemon log after shutdown", d.log());
    }
    // The state file (last results, pending notifications) is output too.
    for (const auto& entry : fs::recursive_directory_iterator(dir / "state")) {
      if (entry.is_regular_file()) {
        std::ifstream in(entry.path(), std::ios::binary);
        const std::string text((std::istreambuf_iterator<char>(in)), {});
        check_clean(entry.path().filename().string(), text);
      }
    }
    receiver.stop();
    upstream.stop();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
}

}  // namespace redaction_test
