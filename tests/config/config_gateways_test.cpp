#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "tests/config/config_test_support.hpp"
#include "tests/support/scoped_temp_dir.hpp"
#include "tests/support/test_ca.hpp"
#include "tests/support/test_paths.hpp"

using namespace visionwatch;
using namespace visionwatch::config_testing;
using std::chrono::milliseconds;

TEST_SUITE("unit") {
  TEST_CASE("sizes are checked") {
    CHECK(errors_of("gateways:\n  - {name: gw, base_url: \"https://g/\", max_body: 4XB}\n"
                    "routes: [{name: r, gateway: gw, model: m}]\n") ==
          std::vector<std::string>{"config.yaml:2: gateways[0].max_body: \"4XB\" is not a size "
                                   "(use 512KiB, 4MiB, 1GiB or bytes)"});
    CHECK(errors_of("gateways:\n  - {name: gw, base_url: \"https://g/\", max_body: 2GiB}\n"
                    "routes: [{name: r, gateway: gw, model: m}]\n") ==
          std::vector<std::string>{
              "config.yaml:2: gateways[0].max_body: \"2GiB\" is out of range (1KiB..1GiB)"});
  }

  TEST_CASE("gateway headers and TLS and proxy settings reach client_options") {
    const test::scoped_temp_dir tmp("vw-tls");
    const auto& dir = tmp.path;
    // A real CA: validation loads it as the TLS client will.
    write_file(dir, "ca.pem", test::read_file(test::test_certificates().ca_cert));
    // The same gateway with bad headers, then with good ones.
    const auto yaml = [](const std::string& headers) {
      return "gateways:\n"
             "  - name: gw\n"
             "    base_url: https://gw/v1\n"
             "    headers: {" +
             headers +
             "}\n"
             "    tls: {ca_file: ca.pem, server_name: api.internal, insecure_skip_verify: true}\n"
             "    proxy_url: http://proxy:3128\n"
             "    keep_alive: true\n"
             "    connect_timeout: 2s\n"
             "    max_body: 512KiB\n"
             "    max_concurrency: 9\n"
             "routes: [{name: r, gateway: gw, model: m}]\n";
    };
    const auto config_path = (dir / "c.yaml").string();
    const auto r = parse_config(
        yaml("X-Title: visionwatch, Host: evil, \"bad header\": x"), config_path, no_env);
    REQUIRE(r.errors.size() == 2);
    CHECK(r.errors[0].message == "the Host header is set by visionwatch");
    CHECK(r.errors[1].message == "\"bad header\" is not a valid header name");
    const auto ok = parse_config(yaml("X-Title: visionwatch"), config_path, no_env);
    REQUIRE(ok.value);
    const auto& g = ok.value->gateways[0];
    CHECK(g.headers == header_list{{"X-Title", "visionwatch"}});
    CHECK(g.client.tls.ca_file == (dir / "ca.pem").string());
    CHECK(g.client.tls.server_name == "api.internal");
    CHECK(g.client.tls.insecure_skip_verify);
    CHECK(g.client.proxy_url == "http://proxy:3128");
    CHECK_FALSE(g.client.use_env_proxy);
    CHECK(g.client.keep_alive);
    CHECK(g.client.connect_timeout == milliseconds{2000});
    CHECK(g.client.body_limit == 512U * 1024);
    CHECK(g.max_concurrency == 9);
  }

  TEST_CASE("one gateway of each native flavour validates with its options and defaults") {
    const auto cfg = parse_ok(
        "gateways:\n"
        "  - {name: chat, base_url: \"https://gw/v1\", api: openai-chat}\n"
        "  - {name: resp, base_url: \"https://api.openai.com/v1\", api: openai-responses}\n"
        "  - {name: claude, base_url: \"https://api.anthropic.com/v1\", api: anthropic-messages,"
        " anthropic_version: \"2023-06-01\"}\n"
        "  - {name: claude-default, base_url: \"https://api.anthropic.com/v1\","
        " api: anthropic-messages}\n"
        "  - {name: azure, base_url: \"https://res.openai.azure.com/openai\", api: azure-openai,"
        " api_version: 2025-01-01-preview}\n"
        "  - {name: azure-default, base_url: \"https://res.openai.azure.com/openai?x=1\","
        " api: azure-openai}\n"
        "routes:\n"
        "  - {name: r1, gateway: chat, model: m}\n"
        "  - {name: r2, gateway: resp, model: m}\n"
        "  - {name: r3, gateway: claude, model: m}\n"
        "  - {name: r4, gateway: claude-default, model: m}\n"
        "  - {name: r5, gateway: azure, model: m}\n"
        "  - {name: r6, gateway: azure-default, model: m}\n");
    REQUIRE(cfg.gateways.size() == 6);
    CHECK(cfg.gateways[1].api == api_flavour::openai_responses);
    CHECK(cfg.gateways[2].api == api_flavour::anthropic_messages);
    CHECK(cfg.gateways[2].anthropic_version == "2023-06-01");
    CHECK(cfg.gateways[3].anthropic_version.empty());  // the adapter sends its default
    CHECK(cfg.gateways[4].api == api_flavour::azure_openai);
    CHECK(cfg.gateways[4].api_version == "2025-01-01-preview");
    CHECK(cfg.gateways[5].base_url == "https://res.openai.azure.com/openai?x=1");
    CHECK(cfg.gateways[5].api_version.empty());
  }

  TEST_CASE("a flavour option on a gateway of another flavour names the key and the flavour") {
    CHECK(errors_of("gateways:\n"
                    "  - {name: gw, base_url: \"https://g/\", api: openai-chat, api_version: x}\n"
                    "  - {name: gw2, base_url: \"https://g/\", anthropic_version: \"2023-06-01\"}\n"
                    "  - {name: gw3, base_url: \"https://g/\", api: anthropic-messages,"
                    " api_version: \"2024-10-21\"}\n"
                    "routes: [{name: r, gateway: gw, model: m}]\n") ==
          std::vector<std::string>{
              "config.yaml:2: gateways[0].api_version: api_version applies only to api: "
              "azure-openai, not to api: openai-chat",
              "config.yaml:3: gateways[1].anthropic_version: anthropic_version applies only to "
              "api: anthropic-messages, not to api: openai-chat",
              "config.yaml:4: gateways[2].api_version: api_version applies only to api: "
              "azure-openai, not to api: anthropic-messages",
          });
    CHECK(errors_of("gateways:\n"
                    "  - {name: gw, base_url: \"https://g/\", api: azure-openai,"
                    " api_version: \"2024 10\"}\n"
                    "routes: [{name: r, gateway: gw, model: m}]\n") ==
          std::vector<std::string>{"config.yaml:2: gateways[0].api_version: \"2024 10\" is not a "
                                   "version (letters, digits, '-', '_', '.')"});
    // A misspelt api: one error for it, none for the options it cannot be checked against.
    CHECK(errors_of("gateways:\n"
                    "  - {name: gw, base_url: \"https://g/\", api: azure-opneai,"
                    " api_version: \"2024-10-21\"}\n"
                    "routes: [{name: r, gateway: gw, model: m}]\n") ==
          std::vector<std::string>{
              "config.yaml:2: gateways[0].api: \"azure-opneai\" is not an API flavour (use "
              "openai-chat, openai-responses, anthropic-messages, azure-openai, gemini, "
              "bedrock-converse)"});
  }

  TEST_CASE("bearer_token_file is read at load - exclusive with api_key and Authorization") {
    const temp_files tmp("vw-bearer",
                         {{"token", "  eyJhbGciOi.token-value-123\n"},
                          {"empty", "\n"},
                          {"two-lines", "abc-token\nHost: evil\n"}});
    const std::string file = (tmp.path / "c.yaml").string();
    const auto ok = parse_config(
        "gateways:\n"
        "  - {name: gw, base_url: \"https://res.openai.azure.com/openai\", api: azure-openai,"
        " bearer_token_file: token}\n"
        "routes: [{name: r, gateway: gw, model: m}]\n",
        file,
        no_env);
    REQUIRE(ok.value);
    const auto& g = ok.value->gateways[0];
    REQUIRE(g.bearer_token);
    CHECK(g.bearer_token->path() == (tmp.path / "token").string());
    CHECK(g.bearer_token->current() == "eyJhbGciOi.token-value-123");
    CHECK(g.api_key.empty());

    const auto bad = parse_config(
        "gateways:\n"
        "  - {name: a, base_url: \"https://g/\", bearer_token_file: token, api_key_env: K}\n"
        "  - {name: b, base_url: \"https://g/\", bearer_token_file: token,"
        " headers: {Authorization: \"Bearer x\"}}\n"
        "  - {name: c, base_url: \"https://g/\", bearer_token_file: missing}\n"
        "  - {name: d, base_url: \"https://g/\", bearer_token_file: empty}\n"
        "  - {name: e, base_url: \"https://g/\", bearer_token_file: two-lines}\n"
        "routes: [{name: r, gateway: a, model: m}]\n",
        file,
        env_of({{"K", "sk-key-123456"}}));
    std::vector<std::string> messages;
    messages.reserve(bad.errors.size());
    for (const auto& e : bad.errors) {
      messages.push_back(e.path + ": " + e.message);
    }
    REQUIRE(messages.size() == 5);
    CHECK(messages[0] ==
          "gateways[0].bearer_token_file: set either api_key_* or "
          "bearer_token_file, not both");
    CHECK(messages[1] ==
          "gateways[1].headers.Authorization: set either api_key_* (or "
          "bearer_token_file) or an Authorization header, not both");
    CHECK(messages[2].starts_with("gateways[2].bearer_token_file: "));
    CHECK(messages[3] == "gateways[3].bearer_token_file: bearer_token_file " +
                             (tmp.path / "empty").string() + " is empty");
    CHECK(messages[4] == "gateways[4].bearer_token_file: bearer_token_file " +
                             (tmp.path / "two-lines").string() +
                             " holds more than one line or a control character");
    for (const auto& m : messages) {
      CHECK(m.find("abc-token") == std::string::npos);
    }
  }
}
