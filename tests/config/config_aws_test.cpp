#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/runtime/probe_runner.hpp"
#include "tests/config/config_test_support.hpp"
#include "tests/support/test_paths.hpp"

using namespace visionwatch;
using namespace visionwatch::config_testing;

namespace {

constexpr const char* secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

const env_lookup aws_env = env_of({{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                                   {"AWS_SECRET_ACCESS_KEY", secret_key},
                                   {"AWS_SESSION_TOKEN", "session-token-from-env"},
                                   {"GEMINI_KEY", "AIzaGEMINIKEYFORTESTS"},
                                   {"MY_ID", "AKIAOTHEREXAMPLE"},
                                   {"MY_SECRET", "other-secret-access-key"}});

std::string bedrock_gateway(const std::string& extra) {
  return "gateways:\n"                                                        // 1
         "  - name: bedrock\n"                                                // 2
         "    api: bedrock-converse\n"                                        // 3
         "    base_url: https://bedrock-runtime.eu-west-3.amazonaws.com\n" +  // 4
         extra +                                                              // 5...
         "routes:\n"
         "  - {name: r, gateway: bedrock, model: \"anthropic.claude-3-5-sonnet-20240620-v1:0\"}\n";
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE(
      "one gemini and one bedrock gateway validate - credentials come from AWS_* by default") {
    const auto cfg = parse_ok(
        "gateways:\n"
        "  - name: gemini\n"
        "    api: gemini\n"
        "    base_url: https://generativelanguage.googleapis.com/v1beta\n"
        "    api_key_env: GEMINI_KEY\n"
        "  - name: bedrock\n"
        "    api: bedrock-converse\n"
        "    base_url: https://bedrock-runtime.us-east-1.amazonaws.com\n"
        "routes:\n"
        "  - {name: g, gateway: gemini, model: gemini-2.5-flash}\n"
        "  - {name: b, gateway: bedrock, model: \"anthropic.claude-3-5-sonnet-20240620-v1:0\"}\n",
        aws_env);
    REQUIRE(cfg.gateways.size() == 2);
    CHECK(cfg.gateways[0].api == api_flavour::gemini);
    CHECK(cfg.gateways[0].api_key == "AIzaGEMINIKEYFORTESTS");
    const auto& b = cfg.gateways[1];
    CHECK(b.api == api_flavour::bedrock_converse);
    CHECK(b.aws_region == "us-east-1");
    CHECK(b.aws_credentials.access_key_id == "AKIDEXAMPLE");
    CHECK(b.aws_credentials.secret_access_key == secret_key);
    CHECK(b.aws_credentials.session_token == "session-token-from-env");
  }

  TEST_CASE("aws_region and aws_credentials override the host name and the environment") {
    const auto dir = test::make_temp_dir("vw-aws");
    write_file(dir, "token", "file-session-token\n");
    const auto r = parse_config(bedrock_gateway("    aws_region: eu-central-1\n"
                                                "    aws_credentials:\n"
                                                "      access_key_id_env: MY_ID\n"
                                                "      secret_access_key_env: MY_SECRET\n"
                                                "      session_token_file: token\n"),
                                (dir / "c.yaml").string(),
                                aws_env);
    REQUIRE(r.errors.empty());
    const auto& g = r.value->gateways[0];
    CHECK(g.aws_region == "eu-central-1");
    CHECK(g.aws_credentials.access_key_id == "AKIAOTHEREXAMPLE");
    CHECK(g.aws_credentials.secret_access_key == "other-secret-access-key");
    CHECK(g.aws_credentials.session_token == "file-session-token");
  }

  TEST_CASE("a Bedrock API key from api_key_* replaces SigV4 credentials") {
    const auto cfg = parse_ok(bedrock_gateway("    api_key_env: GEMINI_KEY\n"),
                              env_of({{"GEMINI_KEY", "AIzaGEMINIKEYFORTESTS"}}));
    CHECK(cfg.gateways[0].api_key == "AIzaGEMINIKEYFORTESTS");
    CHECK(cfg.gateways[0].aws_credentials.access_key_id.empty());
    CHECK(cfg.gateways[0].aws_region == "eu-west-3");
  }

  TEST_CASE("bedrock gateways without a region or credentials are refused with file:line") {
    CHECK(errors_of("gateways:\n"
                    "  - name: local\n"
                    "    api: bedrock-converse\n"
                    "    base_url: http://127.0.0.1:4566\n"
                    "routes: [{name: r, gateway: local, model: m}]\n",
                    aws_env) ==
          std::vector<std::string>{
              "config.yaml:2: gateways[0]: api bedrock-converse needs aws_region: the base_url "
              "host is not bedrock-runtime.<region>.amazonaws.com"});
    CHECK(errors_of(bedrock_gateway(""), no_env) ==
          std::vector<std::string>{
              "config.yaml:2: gateways[0]: api bedrock-converse needs credentials: set "
              "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or aws_credentials, or api_key_* (a "
              "Bedrock API key)"});
    CHECK(errors_of(bedrock_gateway("    aws_region: US_EAST\n"), aws_env) ==
          std::vector<std::string>{
              "config.yaml:5: gateways[0].aws_region: \"US_EAST\" is not an AWS region (like "
              "us-east-1)"});
  }

  TEST_CASE("aws_credentials errors never echo a secret value") {
    const auto errors = errors_of(bedrock_gateway("    aws_credentials:\n"
                                                  "      secret_access_key_env: MY_SECRET\n"
                                                  "      session_token_env: NOT_SET\n"
                                                  "      region: x\n"),
                                  aws_env);
    REQUIRE(errors.size() == 3);
    CHECK(errors[2].starts_with("config.yaml:8: gateways[0].aws_credentials.region: unknown key"));
    for (const auto& e : errors) {
      CHECK(e.find("other-secret-access-key") == std::string::npos);
    }
    const auto missing = errors_of(bedrock_gateway("    aws_credentials:\n"
                                                   "      secret_access_key_env: MY_SECRET\n"
                                                   "      session_token_env: NOT_SET\n"),
                                   aws_env);
    CHECK(missing == std::vector<std::string>{
                         "config.yaml:6: gateways[0].aws_credentials: missing access_key_id_env, "
                         "access_key_id_file or access_key_id_credential",
                         "config.yaml:7: gateways[0].aws_credentials.session_token_env: "
                         "environment variable NOT_SET is not set"});
    CHECK(errors_of(bedrock_gateway("    api_key_env: GEMINI_KEY\n"
                                    "    aws_credentials: {access_key_id_env: MY_ID, "
                                    "secret_access_key_env: MY_SECRET}\n"),
                    aws_env) ==
          std::vector<std::string>{"config.yaml:6: gateways[0].aws_credentials: set either "
                                   "api_key_* (a Bedrock API key) or aws_credentials, not both"});
  }

  TEST_CASE("AWS keys on another flavour are refused") {
    CHECK(errors_of(base + "    aws_region: us-east-1\n", aws_env).size() == 1);
    CHECK(errors_of("gateways:\n"
                    "  - {name: gw, base_url: \"https://g/v1\", aws_region: us-east-1}\n"
                    "routes: [{name: r, gateway: gw, model: m}]\n") ==
          std::vector<std::string>{
              "config.yaml:2: gateways[0].aws_region: aws_region applies only to api: "
              "bedrock-converse"});
  }

  TEST_CASE("a remote_url route on a bedrock gateway is refused: Bedrock takes only bytes") {
    const std::string yaml =
        "global: {media_base_url: \"https://vw.example/media/\"}\n"  // 1
        "gateways:\n"                                                // 2
        "  - name: bedrock\n"                                        // 3
        "    api: bedrock-converse\n"                                // 4
        "    base_url: https://bedrock-runtime.us-east-1.amazonaws.com\n"
        "routes:\n"                                                                       // 6
        "  - {name: ok, gateway: bedrock, model: m}\n"                                    // 7
        "  - {name: url, gateway: bedrock, model: m, challenge: {media: remote_url}}\n";  // 8
    CHECK(errors_of(yaml, aws_env) ==
          std::vector<std::string>{
              "config.yaml:8: routes.url.challenge.media: gateway \"bedrock\" is api "
              "bedrock-converse, which takes images only as bytes (or S3), not URLs: use media: "
              "data_url"});
  }

  TEST_CASE("the gateway redactor masks the AWS secret key and session token") {
    const auto cfg = parse_ok(bedrock_gateway(""), aws_env);
    const redactor r = gateway_redactor(cfg.gateways[0]);
    const std::string text = std::string("echo ") + secret_key + " and session-token-from-env";
    const std::string masked = r(text);
    CHECK(masked.find(secret_key) == std::string::npos);
    CHECK(masked.find("session-token-from-env") == std::string::npos);
  }
}
