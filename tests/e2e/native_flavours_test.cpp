// Runs the real `visionwatch check` binary against the simulated gateway speaking Gemini
// generateContent and Bedrock Converse (daemon/sim/sim_native.cpp), which checks the Gemini key
// and recomputes every Bedrock SigV4 signature with the same keys, and asserts the outcome of
// healthy, dropped-image and bad-credential routes of both flavours, and that no secret (the AWS
// secret key, the session token, a signature, the API keys) reaches the output.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "daemon/app/commands.hpp"
#include "daemon/sim/demo.hpp"
#include "tests/e2e/check_report.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_paths.hpp"

namespace native_flavours_test {

namespace {

using namespace visionwatch::e2e_test_names;

constexpr const char* gemini_key = "AIzaVWTESTSECRETgemini0123456789abcd";
constexpr const char* access_key_id = "AKIAVWTESTEXAMPLE123";
constexpr const char* secret_key = "VWTESTSECRETaws/K7MDENG+bPxRfiCYEXAMPLE1";
constexpr const char* session_token = "VWTESTSECRETsessiontoken0123456789";
constexpr const char* bedrock_key = "ABSKVWTESTSECRETbedrockapikey0123";
constexpr int probes_per_route = 2;

const std::vector<vt::outcome_route>& all_routes() {
  // One route a row.
  // clang-format off
  static const std::vector<vt::outcome_route> routes = {
      {"gemini-healthy", "gemini", "vision-healthy", "digits", outcome::ok},
      {"gemini-healthy-color", "gemini", "vision-healthy", "color", outcome::ok},
      {"gemini-says-no-image", "gemini", "vision-drops-image-says-so", "count", outcome::no_image_claim},
      {"gemini-guesses", "gemini", "vision-drops-image-guesses", "digits", outcome::wrong_answer},
      {"gemini-bad-key", "gemini-bad-key", "vision-healthy", "shape", outcome::http_4xx},
      {"bedrock-healthy", "bedrock", "vision-healthy", "digits", outcome::ok},
      {"bedrock-healthy-shape", "bedrock", "vision-healthy", "shape", outcome::ok},
      {"bedrock-says-no-image", "bedrock", "vision-drops-image-says-so", "count", outcome::no_image_claim},
      {"bedrock-guesses", "bedrock", "vision-drops-image-guesses", "color", outcome::wrong_answer},
      {"bedrock-bad-secret", "bedrock-bad-secret", "vision-healthy", "count", outcome::http_4xx},
      {"bedrock-api-key", "bedrock-api-key", "vision-healthy", "color", outcome::ok},
  };
  // clang-format on
  return routes;
}

std::string config_yaml(const std::string& base_url) {
  std::string y =
      "defaults:\n  interval: 30s\n  timeout: 10s\n"
      "  price: {input_per_million: 0.40, output_per_million: 1.60}\n"
      "gateways:\n";
  y += "  - {name: gemini, api: gemini, base_url: \"" + base_url +
       "\", api_key_env: VW_GEMINI_KEY, proxy_url: none}\n";
  y += "  - {name: gemini-bad-key, api: gemini, base_url: \"" + base_url +
       "\", api_key_env: VW_GEMINI_WRONG, proxy_url: none}\n";
  // The session token comes from AWS_SESSION_TOKEN with the other default variables.
  y += "  - {name: bedrock, api: bedrock-converse, base_url: \"" + base_url +
       "\", aws_region: eu-west-3, proxy_url: none}\n";
  y += "  - {name: bedrock-bad-secret, api: bedrock-converse, base_url: \"" + base_url +
       "\", aws_region: eu-west-3, proxy_url: none, aws_credentials: {access_key_id_env: "
       "AWS_ACCESS_KEY_ID, secret_access_key_env: VW_WRONG_SECRET}}\n";
  y += "  - {name: bedrock-api-key, api: bedrock-converse, base_url: \"" + base_url +
       "\", aws_region: eu-west-3, api_key_env: VW_BEDROCK_KEY, proxy_url: none}\n";
  return y + vt::routes_yaml(all_routes());
}

/// A directory for the configuration; check runs on it with every key in the environment.
struct check_env {
  vt::scoped_temp_dir dir{"vw-native-e2e"};
  std::filesystem::path config = dir.path / "visionwatch.yaml";

  void write(const std::string& yaml) const { vt::write_text(config, yaml); }
  [[nodiscard]] vt::process_result run_json(int probes) const {
    return vt::check_json(config,
                          probes,
                          {std::string("VW_GEMINI_KEY=") + gemini_key,
                           "VW_GEMINI_WRONG=AIzaWRONGwrongWRONGwrong0123456789",
                           std::string("AWS_ACCESS_KEY_ID=") + access_key_id,
                           std::string("AWS_SECRET_ACCESS_KEY=") + secret_key,
                           std::string("AWS_SESSION_TOKEN=") + session_token,
                           "VW_WRONG_SECRET=wrongSECRETwrongSECRETwrongSECRETwrong123",
                           std::string("VW_BEDROCK_KEY=") + bedrock_key});
  }
};

/// `text` with the test secrets replaced, for failure messages.
std::string redacted(const std::string& text) {
  return vt::redacted(text, {gemini_key, secret_key, session_token, bedrock_key});
}

void check_secrets_absent(const vt::process_result& r) {
  for (const std::string& s : {std::string(gemini_key),
                               std::string(secret_key),
                               std::string(session_token),
                               std::string(bedrock_key),
                               std::string("VWTESTSECRET")}) {
    CAPTURE(redacted(s));
    CHECK(r.out.find(s) == std::string::npos);
    CHECK(r.err.find(s) == std::string::npos);
  }
  // A SigV4 signature is 64 hex digits.
  static const std::regex signature("[0-9a-f]{64}");
  CHECK_FALSE(std::regex_search(r.out, signature));
  CHECK_FALSE(std::regex_search(r.err, signature));
}

/// One `check --output json` run that must fail (exit 1) without leaking a secret: the process
/// and its report.
struct failed_check {
  vt::process_result result;
  nlohmann::json report;
  /// Its output with the secrets replaced, for failure messages.
  [[nodiscard]] std::string transcript() const {
    return "stdout:\n" + redacted(result.out) + "\nstderr:\n" + redacted(result.err);
  }
};

failed_check run_failing(const check_env& env, int probes) {
  failed_check c{env.run_json(probes), {}};
  INFO(c.transcript());
  CHECK_FALSE(c.result.timed_out);
  CHECK(c.result.exit_code == exit_failed);
  check_secrets_absent(c.result);
  c.report = vt::report_of(c.result);
  return c;
}

native_keys keys() {
  return {.gemini_api_key = gemini_key,
          .aws_access_key_id = access_key_id,
          .aws_secret_access_key = secret_key,
          .bedrock_api_key = bedrock_key};
}

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE(
      "check classifies healthy - dropped-image and bad-credential Gemini and Bedrock routes") {
    const vt::started_demo_gateway gw(std::chrono::minutes(2), keys());
    check_env env;
    env.write(config_yaml(gw.base_url()));
    const auto run = run_failing(env, probes_per_route);
    INFO(run.transcript());
    const auto& j = run.report;
    const auto& routes = j.at("routes");
    vt::check_probe_outcomes(
        routes, all_routes(), probes_per_route, [](const auto& e, const nlohmann::json& p) {
          if (e.result == outcome::ok) {
            CHECK(p.at("http_status") == 200);
            CHECK(p.at("prompt_tokens").get<long long>() > 0);
          }
        });
    for (std::size_t i = 0; i < routes.size(); ++i) {
      if (all_routes()[i].result == outcome::ok) {
        CAPTURE(all_routes()[i].name);
        // The control request learned the text-only baseline from the native usage.
        CHECK(routes[i].at("baseline_prompt_tokens").is_number());
      }
    }
    const auto reason_of = [&](std::size_t i) {
      return routes[i].at("results")[0].at("reason").get<std::string>();
    };
    // Gemini answers a bad key with HTTP 400, Bedrock a bad signature with 403: both say so.
    CHECK(routes[4].at("results")[0].at("http_status") == 400);
    CHECK(reason_of(4).find("the API key was refused") != std::string::npos);
    CHECK(reason_of(4).find("API_KEY_INVALID") != std::string::npos);
    CHECK(routes[9].at("results")[0].at("http_status") == 403);
    CHECK(reason_of(9).find("AWS refused the credentials") != std::string::npos);
    CHECK(reason_of(9).find("InvalidSignatureException") != std::string::npos);
  }

  TEST_CASE("AWS secrets and signatures echoed in an error body never reach check's output") {
    // A hostile gateway echoes everything it was sent into its error message.
    sim_gateway gw([](const received_request& req) {
      const std::string_view authz = req.header("authorization");
      const auto sig = authz.find("Signature=");
      const std::string echo =
          "denied: signature " +
          std::string(sig == std::string_view::npos ? authz : authz.substr(sig + 10)) + " secret " +
          secret_key + " token " + std::string(req.header("x-amz-security-token"));
      auto p = response_plan::json(nlohmann::json{{"message", echo}}.dump(), 403);
      p.headers.emplace_back("x-amzn-ErrorType", "AccessDeniedException:http://internal/");
      return p;
    });
    gw.start();
    check_env env;
    env.write("gateways:\n  - {name: bedrock, api: bedrock-converse, base_url: \"" + gw.base_url() +
              "\", aws_region: eu-west-3, proxy_url: none}\n"
              "routes:\n  - {name: echo, gateway: bedrock, model: m, challenge: {kind: count}}\n");
    const auto run = run_failing(env, 1);
    INFO(run.transcript());
    const auto& j = run.report;
    const std::string reason = j.at("routes")[0].at("results")[0].at("reason");
    CHECK(reason.starts_with("HTTP 403: authentication failed, AWS refused the credentials"));
    CHECK(reason.find("denied: signature *** secret *** token ***") != std::string::npos);
  }

  TEST_CASE(
      "rate-limited Gemini and Bedrock routes are rate_limited - Gemini's body delay is read") {
    const auto fixture = nlohmann::json::parse(
        vt::read_file(vt::fixtures_dir() / "api-flavours" / "gemini-generatecontent.json"));
    const std::string gemini_429 = fixture.at("errors").at("429").at("body").dump();
    sim_gateway gw([gemini_429](const received_request& req) {
      if (req.target.find(":generateContent") != std::string::npos) {
        return response_plan::json(gemini_429, 429);
      }
      auto p = response_plan::json(
          R"({"message":"Too many tokens, please wait before trying again."})", 429);
      p.headers.emplace_back(
          "x-amzn-ErrorType",
          "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/");
      return p;
    });
    gw.start();
    check_env env;
    env.write(
        "gateways:\n"
        "  - {name: gemini, api: gemini, base_url: \"" +
        gw.base_url() +
        "\", api_key_env: VW_GEMINI_KEY, proxy_url: none}\n"
        "  - {name: bedrock, api: bedrock-converse, base_url: \"" +
        gw.base_url() +
        "\", aws_region: us-east-1, proxy_url: none}\n"
        "routes:\n"
        "  - {name: g, gateway: gemini, model: gemini-2.5-flash, challenge: {kind: count}}\n"
        "  - {name: b, gateway: bedrock, model: \"anthropic.claude-3-haiku-20240307-v1:0\", "
        "challenge: {kind: count}}\n");
    const auto run = run_failing(env, 1);
    INFO(run.transcript());
    const auto& j = run.report;
    const auto& g = j.at("routes")[0].at("results")[0];
    CHECK(g.at("outcome") == "rate_limited");
    CHECK(g.at("reason").get<std::string>().find("retry after 47s") != std::string::npos);
    const auto& b = j.at("routes")[1].at("results")[0];
    CHECK(b.at("outcome") == "rate_limited");
    CHECK(b.at("reason") ==
          "HTTP 429: Too many tokens, please wait before trying again. (ThrottlingException)");
  }
}

}  // namespace native_flavours_test
