// Runs the real `visionwatch check` binary against the simulated gateway speaking each API
// flavour (openai-chat, openai-responses, anthropic-messages, azure-openai; daemon/sim/
// sim_flavours.cpp) with healthy and image-dropping models, and asserts every probe's outcome,
// each flavour's authentication on the wire, and that no key or token reaches the output.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/app/commands.hpp"
#include "daemon/sim/demo.hpp"
#include "daemon/sim/sim_flavours.hpp"
#include "daemon/sim/sim_gateway.hpp"
#include "daemon/sim/sim_model.hpp"
#include "probes/outcome.hpp"
#include "tests/e2e/check_report.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_paths.hpp"

namespace flavours_test {

namespace {

using namespace visionwatch::e2e_test_names;

constexpr vt::env_secret api_key{"VW_E2E_FLAVOUR_KEY", "sk-VWFLAVOURSECRET-0123456789"};
constexpr int probes_per_route = 2;

sim_model::options keyed() {
  sim_model::options o;
  o.expected_api_key = api_key.value;
  return o;
}

/// The simulated gateway: model "vision-<behaviour>" answers as that behaviour, in the flavour
/// the request's path names, and 401 without the key. Keeps every request for the auth checks.
class flavoured_gateway {
 public:
  flavoured_gateway()
      : model_(keyed()), server_([this](const received_request& req) { return handle(req); }) {
    server_.start();
  }
  [[nodiscard]] std::string base_url() const { return server_.base_url(); }
  [[nodiscard]] std::vector<received_request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  response_plan handle(const received_request& req) {
    {
      std::lock_guard lock(mutex_);
      received_request copy = req;
      copy.body.clear();  // the images are not needed here
      requests_.push_back(std::move(copy));
    }
    std::string model = sim_flavours::model_of(req);
    if (!model.starts_with("vision-")) {
      return sim_flavours::error_reply(req, 404, "no such model", "invalid_request_error");
    }
    std::string name = model.substr(7);
    for (auto& c : name) {
      c = c == '-' ? '_' : c;
    }
    const auto b = sim_behaviour_from_string(name);
    if (!b) {
      return sim_flavours::error_reply(req, 404, "no such model", "invalid_request_error");
    }
    return sim_flavours::respond(model_, req, *b);
  }

  sim_model model_;
  mutable std::mutex mutex_;
  std::vector<received_request> requests_;
  sim_gateway server_;
};

/// Every flavour's gateway, each with a healthy route and two image-dropping routes.
std::vector<vt::outcome_route> all_routes() {
  std::vector<vt::outcome_route> out;
  for (const std::string gw : {"chat", "responses", "anthropic", "azure", "azure-entra"}) {
    out.push_back({gw + "-healthy", gw, "vision-healthy", "digits", outcome::ok});
    out.push_back({gw + "-healthy-color", gw, "vision-healthy", "color", outcome::ok});
    out.push_back({gw + "-says-no-image",
                   gw,
                   "vision-drops-image-says-so",
                   "count",
                   outcome::no_image_claim});
    out.push_back(
        {gw + "-guesses", gw, "vision-drops-image-guesses", "digits", outcome::wrong_answer});
  }
  out.push_back(
      {"anthropic-no-key", "anthropic-no-key", "vision-healthy", "digits", outcome::http_4xx});
  out.push_back({"azure-no-key", "azure-no-key", "vision-healthy", "digits", outcome::http_4xx});
  return out;
}

std::string config_yaml(const std::string& base, const fs::path& token_file) {
  std::string y = "defaults:\n  interval: 30s\n  timeout: 10s\n";
  y += "gateways:\n";
  auto gateway = [&](const std::string& name, const std::string& url, const std::string& rest) {
    y += "  - {name: " + name + ", base_url: \"" + url + "\", proxy_url: none, " + rest + "}\n";
  };
  const std::string key = std::string("api_key_env: ") + api_key.name;
  gateway("chat", base, "api: openai-chat, " + key);
  gateway("responses", base + "/", "api: openai-responses, " + key);
  gateway("anthropic", base, "api: anthropic-messages, anthropic_version: \"2023-06-01\", " + key);
  // The Azure base_url keeps its query string (issue 12's 404).
  gateway("azure", base + "/openai?api-version=2024-10-21", "api: azure-openai, " + key);
  gateway("azure-entra",
          base + "/openai",
          "api: azure-openai, api_version: 2024-06-01, bearer_token_file: \"" +
              token_file.string() + "\"");
  gateway("anthropic-no-key", base, "api: anthropic-messages");
  gateway("azure-no-key", base + "/openai", "api: azure-openai, api_version: 2024-02-01");
  return y + vt::routes_yaml(all_routes());
}

std::string redacted(const std::string& text) { return vt::redacted(text, {api_key.value}); }

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE("check classifies healthy and image-dropping routes of every flavour right") {
    flavoured_gateway gw;
    const fs::path dir = vt::make_temp_dir("vw-flavours-e2e");
    const fs::path token = dir / "entra-token";
    std::ofstream(token) << api_key.value << "\n";  // the sidecar's token: the key the sim accepts
    const fs::path config = dir / "visionwatch.yaml";
    std::ofstream(config) << config_yaml(gw.base_url(), token);

    const auto validate = vt::run_process(
        {vt::visionwatch_binary().string(), "validate", "--config", config.string()},
        {api_key.assignment()},
        60s);
    INFO("validate:\n" << redacted(validate.out) << redacted(validate.err));
    CHECK(validate.exit_code == exit_ok);

    // A fixed seed: the same challenges on every run, so a guessing route cannot pass by luck.
    const auto r = vt::check_json(config, probes_per_route, {api_key.assignment()});
    INFO("stdout:\n" << redacted(r.out) << "\nstderr:\n" << redacted(r.err));
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code == exit_failed);
    CHECK(r.out.find("VWFLAVOURSECRET") == std::string::npos);
    CHECK(r.err.find("VWFLAVOURSECRET") == std::string::npos);

    vt::check_probe_outcomes(
        vt::report_of(r).at("routes"),
        all_routes(),
        probes_per_route,
        [](const auto& e, const nlohmann::json& p) {
          if (e.result == outcome::http_4xx) {
            CHECK(p.at("http_status") == 401);
            CHECK(p.at("reason").get<std::string>().find("the API key or token was refused") !=
                  std::string::npos);
          }
        });

    // Each flavour's authentication and required parameters on the wire.
    std::map<std::string, int> seen;
    for (const auto& req : gw.requests()) {
      const std::string target = req.target;
      CAPTURE(target);
      if (target.starts_with("/v1/messages")) {
        CHECK(req.header("anthropic-version") == "2023-06-01");
        CHECK(req.header("authorization").empty());
        if (req.header("x-api-key").empty()) {
          ++seen["anthropic-no-key"];
        } else {
          CHECK(req.header("x-api-key") == api_key.value);
          ++seen["anthropic"];
        }
      } else if (target.starts_with("/v1/responses")) {
        CHECK(req.header("authorization") == std::string("Bearer ") + api_key.value);
        ++seen["responses"];
      } else if (target.starts_with("/v1/openai/deployments/")) {
        if (target.ends_with("/chat/completions?api-version=2024-06-01")) {
          // bearer_token_file: the Entra ID token as Authorization, never api-key.
          CHECK(req.header("api-key").empty());
          CHECK(req.header("authorization") == std::string("Bearer ") + api_key.value);
          ++seen["azure-entra"];
        } else if (target.ends_with("/chat/completions?api-version=2024-02-01")) {
          CHECK(req.header("api-key").empty());
          CHECK(req.header("authorization").empty());
          ++seen["azure-no-key"];
        } else {
          CHECK(target.ends_with("/chat/completions?api-version=2024-10-21"));
          CHECK(req.header("api-key") == api_key.value);
          CHECK(req.header("authorization").empty());
          ++seen["azure"];
        }
      } else if (target == "/v1/chat/completions") {
        ++seen["chat"];
      } else {
        FAIL_CHECK("unexpected request target");
      }
    }
    // Every route: its control request plus its probes.
    for (const auto& [name, count] : seen) {
      CAPTURE(name);
      const bool keyless = name.ends_with("no-key");
      CHECK(count == (keyless ? 1 : 4) * (1 + probes_per_route));
    }
    CHECK(seen.size() == 7);
    fs::remove_all(dir);
  }

  TEST_CASE("the demo gateway answers its native-flavour route in the Messages shape") {
    demo_gateway demo;
    demo.start();
    const fs::path dir = vt::make_temp_dir("vw-flavours-demo");
    const fs::path config = dir / "demo.yaml";
    demo_settings s;
    s.listen = "127.0.0.1:0";
    s.state_dir = (dir / "state").string();
    std::ofstream(config) << demo_config_yaml(demo.base_url(), s);
    const auto r = vt::check_json(config, 1);
    INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
    const auto j = vt::report_of(r);
    bool found = false;
    for (const auto& jr : j.at("routes")) {
      if (jr.at("route") == "native-anthropic") {
        found = true;
        CHECK(jr.at("gateway") == "demo-anthropic");
        CHECK(jr.at("pass") == true);
      }
    }
    CHECK(found);
    demo.stop();
    fs::remove_all(dir);
  }
}

}  // namespace flavours_test
