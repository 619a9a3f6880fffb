#include "daemon/config/config.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "daemon/config/config_document.hpp"
#include "tests/config/config_test_support.hpp"
#include "tests/support/scoped_temp_dir.hpp"
#include "tests/support/test_paths.hpp"

using namespace visionwatch;
using namespace visionwatch::config_testing;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_SUITE("unit") {
  TEST_CASE("the example file parses into the expected values") {
    const auto path = (test::source_dir() / "examples/visionwatch.yaml").string();
    const auto r = load_config(path, no_env);
    for (const auto& e : r.errors) {
      FAIL_CHECK(e.to_string());
    }
    REQUIRE(r.value);
    const config& c = *r.value;
    CHECK(c.global.listen == "127.0.0.1:9464");
    CHECK(c.global.external_labels.at("instance_region") == "lab");
    CHECK(c.global.max_in_flight == 64);
    REQUIRE(c.gateways.size() == 2);
    const auto* ollama = c.find_gateway("ollama");
    REQUIRE(ollama != nullptr);
    CHECK(ollama->base_url == "http://127.0.0.1:11434/v1");
    CHECK(ollama->api == api_flavour::openai_chat);
    CHECK(ollama->api_key.empty());
    CHECK(ollama->max_concurrency == 2);
    CHECK(ollama->client.connect_timeout == milliseconds{5000});
    CHECK(ollama->client.body_limit == 4U * 1024 * 1024);
    CHECK_FALSE(ollama->client.use_env_proxy);
    CHECK(c.find_gateway("vllm")->headers == header_list{{"X-Client", "visionwatch"}});
    CHECK(c.find_gateway("nope") == nullptr);

    REQUIRE(c.routes.size() == 4);
    const auto& llava = c.routes[0];
    CHECK(llava.name == "llava");
    CHECK(llava.model == "llava:13b");
    CHECK(llava.settings.interval == milliseconds{30'000});
    CHECK(llava.settings.timeout == milliseconds{30'000});
    CHECK(llava.settings.challenge.kind == challenge_kind::count);
    CHECK(llava.settings.challenge.width == 512);
    CHECK(llava.settings.checks.no_image_phrases.back() == "I am unable to view images");
    CHECK(c.routes[1].name == "vllm/Qwen/Qwen2.5-VL-7B-Instruct");
    CHECK(c.routes[2].name == "vllm/OpenGVLab/InternVL3-8B");
    CHECK(c.routes[2].settings.interval == milliseconds{120'000});
    const auto& octagon = c.routes[3];
    CHECK(octagon.settings.challenge.custom());
    CHECK(octagon.settings.challenge.image_file ==
          (test::source_dir() / "examples/probe-images/red-octagon.png").string());
    CHECK(octagon.settings.challenge.expect_words ==
          std::vector<std::string>{"octagon", "stop sign"});
    const auto& rules = octagon.settings.alerts.rules;
    const auto latency = std::find_if(rules.begin(), rules.end(), [](const auto& x) {
      return x.kind == alert_rule_kind::latency;
    });
    REQUIRE(latency != rules.end());
    CHECK_FALSE(latency->enabled);
    CHECK(latency->threshold == 20.0);
    REQUIRE(c.receivers.size() == 2);
    CHECK(c.receivers[0].kind == receiver_kind::alertmanager);
    CHECK(c.receivers[0].resend_interval == seconds{60});
    CHECK(c.receivers[1].max_age == seconds{std::chrono::hours{24}});
    REQUIRE(c.silences.size() == 1);
    CHECK(c.silences[0].route == "octagon");
  }

  TEST_CASE("the production example validates once its secrets exist") {
    const temp_files tmp("vw-prod",
                         {{"admin-token", "admin-secret\n"},
                          {"openai-api-key", "sk-openai\r\n"},
                          {"pd-routing-key", "pd-key"}});
    const auto env = env_of({{"CREDENTIALS_DIRECTORY", tmp.path.string()},
                             {"OPENROUTER_API_KEY", "sk-or"},
                             {"VW_WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
                             {"SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/X"}});
    const auto r = load_config((test::source_dir() / "examples/production.yaml").string(), env);
    for (const auto& e : r.errors) {
      FAIL_CHECK(e.to_string());
    }
    REQUIRE(r.value);
    const config& c = *r.value;
    CHECK(c.global.admin_token == "admin-secret");
    CHECK(c.find_gateway("openai")->api_key == "sk-openai");
    CHECK(c.find_gateway("openrouter")->api_key == "sk-or");
    CHECK(c.routes.size() == 6);
    CHECK(c.routes[1].name == "openrouter/google/gemini-2.5-flash");
    CHECK(c.routes[4].name == "internal/qwen/qwen3-vl-plus");
    CHECK(c.routes[4].settings.challenge.media == media_mode::remote_url);
    CHECK(c.routes[5].settings.challenge.expect_pattern == "octag(on|onal)");
    CHECK(c.receivers[1].url == "https://hooks.slack.com/services/T/B/X");
    CHECK(c.receivers[2].secret == "pd-key");
    CHECK(c.receivers[2].url == "https://events.pagerduty.com/v2/enqueue");
  }

  TEST_CASE("error format is file:line: path: message and omits :line when unknown") {
    CHECK(config_error{"c.yaml", 14, "routes[2].interval", "bad"}.to_string() ==
          "c.yaml:14: routes[2].interval: bad");
    CHECK(config_error{"c.yaml", 0, "routes", "bad"}.to_string() == "c.yaml: routes: bad");
    CHECK(config_error{"c.yaml", 0, "", "cannot read"}.to_string() == "c.yaml: cannot read");
  }

  TEST_CASE("a bad duration names file and line and path") {
    CHECK(errors_of(base + "    interval: 5x\n") ==
          std::vector<std::string>{
              "config.yaml:8: routes[0].interval: \"5x\" is not a duration (use 30s, 5m, 1h)"});
    CHECK(errors_of(base + "    interval: 0s\n") ==
          std::vector<std::string>{"config.yaml:8: routes[0].interval: \"0s\" must be positive"});
  }

  TEST_CASE("all errors of a file are reported at once in line order") {
    const auto errors = errors_of(
        "global: {max_in_flight: 0, listen: nowhere}\n"  // 1
        "gateways:\n"                                    // 2
        "  - name: gw\n"                                 // 3
        "    base_url: ftp://gw.example/\n"              // 4
        "    api: grpc\n"                                // 5
        "routes:\n"                                      // 6
        "  - name: r1\n"                                 // 7
        "    gateway: gw\n"                              // 8
        "    model: m\n"                                 // 9
        "    intervl: 30s\n"                             // 10
        "    window: many\n");                           // 11
    CHECK(errors ==
          std::vector<std::string>{
              ("config.yaml:1: global.listen: \"nowhere\" is not a listen address (use "
               "127.0.0.1:9464 or [::1]:9464)"),
              "config.yaml:1: global.max_in_flight: \"0\" is out of range (1..100000)",
              "config.yaml:4: gateways[0].base_url: must be an http or https URL",
              ("config.yaml:5: gateways[0].api: \"grpc\" is not an API flavour (use openai-chat, "
               "openai-responses, anthropic-messages, azure-openai, gemini, bedrock-converse)"),
              "config.yaml:10: routes[0].intervl: unknown key (did you mean interval?)",
              "config.yaml:11: routes[0].window: \"many\" is not an integer",
          });
  }

  TEST_CASE("wrong types and duplicate keys are errors") {
    check_error_cases({
        {base + "    challenge: [digits]\n",
         {"config.yaml:8: routes[0].challenge: expected a mapping, got a list"}},
        {base + "    model: n\n",
         {"config.yaml:8: routes[0].model: duplicate key (first at line 7)"}},
        {"routes: {a: 1}\ngateways: []\n",
         {"config.yaml:1: routes: expected a list, got a mapping"}},
    });
    CHECK(errors_of(base + "    gateway2: x\n    checks: {require_usage: yes}\n") ==
          std::vector<std::string>{
              "config.yaml:8: routes[0].gateway2: unknown key (did you mean gateway?)",
              "config.yaml:9: routes[0].checks.require_usage: \"yes\" is not a boolean (use true "
              "or false)"});
  }

  TEST_CASE("YAML syntax errors are one error with their line") {
    const auto errors = errors_of(base + "  - name: [unclosed\n    model: x\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].rfind("config.yaml:", 0) == 0);
    CHECK(errors[0].find(": YAML syntax error: ") != std::string::npos);
    CHECK(errors_of("a: b\n c: d\n").front().rfind("config.yaml:2: YAML syntax error:", 0) == 0);
  }

  TEST_CASE("empty files and unknown top-level keys and missing routes are errors") {
    CHECK(errors_of("") == std::vector<std::string>{"config.yaml: the file is empty (expected "
                                                    "global, gateways, routes, ...)"});
    CHECK(errors_of("gateways: []\nroutes: []\nrouts: []\n") ==
          std::vector<std::string>{"config.yaml:2: routes: at least one route is required",
                                   "config.yaml:3: routs: unknown key (did you mean routes?)"});
    // x- keys hold anchors for reuse.
    // (yaml-cpp has no "<<" merge keys; whole-node aliases work.)
    const auto c = parse_ok("x-challenge: &count {kind: count, width: 256}\n" + base +
                            "    challenge: *count\n");
    CHECK(c.routes[0].settings.challenge.kind == challenge_kind::count);
    CHECK(c.routes[0].settings.challenge.width == 256);
  }

  TEST_CASE("unreadable files are an error naming the file") {
    const auto r = load_config("/nonexistent/visionwatch.yaml", no_env);
    CHECK_FALSE(r.value);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].to_string() ==
          "/nonexistent/visionwatch.yaml: cannot read: No such file or directory");
    const test::scoped_temp_dir tmp("vw-cfg");
    const auto& dir = tmp.path;
    CHECK(load_config(dir.string(), no_env).errors.at(0).to_string() ==
          dir.string() + ": cannot read: is a directory");
  }

  TEST_CASE("enums: challenge kind and media and detail and receiver type and severity") {
    CHECK(errors_of(base + "    challenge: {kind: letters, media: url, detail: max}\n") ==
          std::vector<std::string>{
              "config.yaml:8: routes[0].challenge.kind: \"letters\" is not a challenge kind (use "
              "digits, color, shape, count)",
              "config.yaml:8: routes[0].challenge.media: \"url\" is not a media mode (use "
              "data_url, remote_url)",
              "config.yaml:8: routes[0].challenge.detail: \"max\" is not a detail level (use low, "
              "high, auto)"});
    CHECK(errors_of(base + "receivers:\n  - {name: r, type: email}\n") ==
          std::vector<std::string>{"config.yaml:9: receivers[0].type: \"email\" is not a receiver "
                                   "type (use webhook, slack, pagerduty, alertmanager)"});
    CHECK(errors_of(base + "    alerts: {rules: {route_down: {severity: high}}}\n") ==
          std::vector<std::string>{
              "config.yaml:8: routes[0].alerts.rules.route_down.severity: \"high\" is not a "
              "severity (use critical, error, warning, info)"});
  }

  TEST_CASE("URL errors never echo the URL which may hold credentials") {
    const auto errors = errors_of(
        "gateways:\n  - {name: gw, base_url: \"ftp://user:hunter2@g/\", "
        "proxy_url: \"https://u:pw-hunter2@proxy:3128\"}\n"
        "routes: [{name: r, gateway: gw, model: m}]\n");
    CHECK(errors == std::vector<std::string>{
                        "config.yaml:2: gateways[0].base_url: must be an http or https URL",
                        "config.yaml:2: gateways[0].proxy_url: must be an http URL"});
  }

  TEST_CASE("environment substitution in values names unset variables") {
    const auto env = env_of({{"GW_HOST", "gw.example"}, {"MODEL", "gpt-4.1"}});
    const auto c = parse_ok(
        "gateways:\n  - {name: gw, base_url: \"https://${GW_HOST}/v1\"}\n"
        "routes:\n  - {name: r, gateway: gw, model: \"${MODEL}\", interval: 1m}\n"
        "  - {name: s, gateway: gw, model: \"$${MODEL}\"}\n",
        env);
    CHECK(c.gateways[0].base_url == "https://gw.example/v1");
    CHECK(c.routes[0].model == "gpt-4.1");
    CHECK(c.routes[1].model == "${MODEL}");
    CHECK(errors_of(base + "    interval: ${INTERVAL}\n") ==
          std::vector<std::string>{
              "config.yaml:8: routes[0].interval: environment variable INTERVAL is not set"});
  }

  TEST_CASE("JSON input parses too with line numbers") {
    const auto c = parse_ok(
        "{\n"
        "  \"gateways\": [{\"name\": \"gw\", \"base_url\": \"https://gw/v1\"}],\n"
        "  \"routes\": [{\"name\": \"r\", \"gateway\": \"gw\", \"model\": \"m\",\n"
        "               \"challenge\": {\"width\": 256, \"temperature\": 0.5}}]\n"
        "}\n");
    CHECK(c.routes[0].settings.challenge.width == 256);
    CHECK(c.routes[0].settings.challenge.temperature == 0.5);
    CHECK(errors_of("{\n  \"gateways\": [],\n  \"routes\": [{\"name\": \"r\", \"gateway\": "
                    "\"gw\", \"model\": \"m\",\n    \"window\": -1}]\n}\n") ==
          std::vector<std::string>{
              "config.yaml:3: routes[0].gateway: unknown gateway \"gw\" (no gateways are defined)",
              "config.yaml:4: routes[0].window: \"-1\" is out of range (1..100000)"});
  }

  TEST_CASE("hostile inputs give bounded errors: deep nesting and alias fan-out and error floods") {
    const auto deep = errors_of(std::string(100'000, '[') + std::string(100'000, ']'));
    REQUIRE(deep.size() == 1);
    CHECK(deep[0].rfind("config.yaml:1:", 0) == 0);

    // 1000 gateways x 1000 models through aliases: refused before expanding.
    std::string bomb = "x-m: &m [";
    for (int i = 0; i < 1000; ++i) {
      bomb += (i ? ",m" : "m") + std::to_string(i);
    }
    bomb += "]\nx-g: &g [";
    for (int i = 0; i < 1000; ++i) {
      bomb += (i ? ",g" : "g") + std::to_string(i);
    }
    bomb += "]\ngateways: []\nroutes:\n  - matrix: {gateways: *g, models: *m}\n";
    const auto big = errors_of(bomb);
    REQUIRE_FALSE(big.empty());
    CHECK(std::find(big.begin(),
                    big.end(),
                    "config.yaml:5: routes[0].matrix: expands to more than 100000 routes") !=
          big.end());

    std::string flood = base;
    for (int i = 0; i < 2000; ++i) {
      flood += "    bad" + std::to_string(i) + ": x\n";
    }
    const auto many = errors_of(flood);
    CHECK(many.size() == 501);
    CHECK(many.back() == "config.yaml: too many errors; only the first 500 shown");
  }

  TEST_CASE("a billion-laughs alias chain is refused after a bounded number of nodes") {
    // Nine levels of ten aliases each: 10^9 nodes once expanded, from a file of a few hundred
    // bytes. Every traversal of the document (the UTF-8 check walks ignored x- values too)
    // would visit them all.
    std::string laughs = "x-l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
    for (int level = 1; level <= 9; ++level) {
      const auto prev = "*l" + std::to_string(level - 1);
      laughs += "x-l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
      for (int i = 0; i < 10; ++i) {
        laughs += (i ? ", " : "") + prev;
      }
      laughs += "]\n";
    }
    CHECK(laughs.size() < 1'000);
    const auto errors = errors_of(laughs + base);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0] ==
          "config.yaml: the document expands to more than 2000000 YAML nodes (an alias counts "
          "each time it is used)");
    // The walk stops at the limit: what it visits is bounded whatever the expansion.
    const auto root = YAML::Load(laughs);
    CHECK(config_reading::count_nodes(root, 5'000) == 5'001);
    CHECK(config_reading::count_nodes(YAML::Load(base), 5'000) < 30);
  }

  TEST_CASE("random mutations of the example never throw or crash") {
    const auto path = test::source_dir() / "examples/visionwatch.yaml";
    const std::string original = test::read_file(path);
    const std::string file = path.string();
    std::mt19937_64 rng(20261120);
    const std::string alphabet = "{}[]:,-'\"\n #&*!|>?%@`$\\0aZ9.\t";
    std::size_t valid = 0;
    for (int i = 0; i < 1500; ++i) {
      std::string text = original;
      const int edits = 1 + static_cast<int>(rng() % 8);
      for (int k = 0; k < edits && !text.empty(); ++k) {
        const std::size_t pos = rng() % text.size();
        switch (rng() % 4) {
          case 0:
            text.erase(pos, 1 + rng() % 16);
            break;
          case 1:
            text.insert(pos, 1, alphabet[rng() % alphabet.size()]);
            break;
          case 2:
            text[pos] = static_cast<char>(rng() % 256);
            break;
          default: {
            // Duplicate a slice somewhere else: repeated keys, misplaced blocks.
            const std::size_t from = rng() % text.size();
            text.insert(pos, text.substr(from, rng() % 64));
          }
        }
      }
      config_result r;
      CHECK_NOTHROW(r = parse_config(text, file, no_env));
      if (r.value) {
        ++valid;
        CHECK(r.errors.empty());
      } else {
        CHECK_FALSE(r.errors.empty());
        for (const auto& e : r.errors) {
          CHECK(e.to_string().rfind(file, 0) == 0);
        }
      }
    }
    MESSAGE("mutations still valid: " << valid);
  }
}

TEST_SUITE("unit") {
  TEST_CASE("a model name that is not UTF-8 is an error with its file and line") {
    const auto errors = errors_of(base +
                                  "  - name: r2\n"        // 8
                                  "    gateway: gw\n"     // 9
                                  "    model: m\xff\n");  // 10
    REQUIRE(errors.size() == 1);
    CHECK(errors[0] == "config.yaml:10: routes[1].model: is not valid UTF-8 text");
  }

  TEST_CASE("a key or an ignored extension value that is not UTF-8 is an error") {
    const auto errors = errors_of(base + "x-notes: \"caf\xe9\"\n");  // 8
    REQUIRE(errors.size() == 1);
    CHECK(errors[0] == "config.yaml:8: x-notes: is not valid UTF-8 text");
  }

  TEST_CASE("a value from the environment that is not UTF-8 is an error that does not echo it") {
    const auto errors = errors_of(base + "  - name: r2\n    gateway: gw\n    model: ${M}\n",
                                  env_of({{"M", "secret\xc3"}}));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].starts_with("config.yaml:10: routes[1].model:"));
    CHECK(errors[0].find("not valid UTF-8") != std::string::npos);
    CHECK(errors[0].find("secret") == std::string::npos);
  }

  TEST_CASE("a gateway CA file that is not PEM is an error of validate with its line") {
    const test::scoped_temp_dir tmp("vw-pem");
    const auto& dir = tmp.path;
    const auto ca = write_file(dir, "ca.pem", "this is not a certificate\n");
    const auto errors = errors_of(
        "gateways:\n"                            // 1
        "  - name: gw\n"                         // 2
        "    base_url: https://gw.example/v1\n"  // 3
        "    tls:\n"                             // 4
        "      ca_file: \"" +
        ca +
        "\"\n"                                // 5
        "receivers:\n"                        // 6
        "  - name: hook\n"                    // 7
        "    type: webhook\n"                 // 8
        "    url: https://hooks.example/x\n"  // 9
        "    tls: {ca_file: \"" +
        ca +
        "\"}\n"  // 10
        "routes:\n"
        "  - {name: r1, gateway: gw, model: m}\n");
    CHECK(errors == std::vector<std::string>{
                        "config.yaml:5: gateways.gw.tls.ca_file: is not a PEM file with at least "
                        "one CA certificate",
                        "config.yaml:10: receivers.hook.tls.ca_file: is not a PEM file with at "
                        "least one CA certificate",
                    });
  }

  TEST_CASE("a proxy URL the client would refuse is an error of validate") {
    const auto e2 = errors_of(
        "gateways:\n"
        "  - name: gw\n"
        "    base_url: https://gw.example/v1\n"
        "    proxy_url: \"http://user:hunter2@proxy.example:3128/path\"\n"  // 4
        "routes:\n"
        "  - {name: r1, gateway: gw, model: m}\n");
    REQUIRE(e2.size() == 1);
    CHECK(e2[0].starts_with("config.yaml:4: gateways.gw.proxy_url: "));
    CHECK(e2[0].find("hunter2") == std::string::npos);
  }

  TEST_CASE("an environment proxy variable the clients would refuse is an error of validate") {
    const auto errors =
        errors_of(base, env_of({{"HTTPS_PROXY", "ftp://user:hunter2@proxy.example"}}));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].starts_with("config.yaml:3: gateways.gw.base_url: "));
    CHECK(errors[0].find("HTTPS_PROXY") != std::string::npos);
    CHECK(errors[0].find("hunter2") == std::string::npos);
  }

  TEST_CASE("a bad proxy variable is no error for gateways that would not use it") {
    // HTTP_PROXY carries only plain-http targets; NO_PROXY takes a gateway off the proxy.
    CHECK(errors_of(base, env_of({{"HTTP_PROXY", "ftp://proxy.example"}})).empty());
    CHECK(errors_of(base,
                    env_of({{"HTTPS_PROXY", "ftp://proxy.example"}, {"NO_PROXY", "gw.example"}}))
              .empty());
  }

  TEST_CASE("max_retry_after defaults to 15 minutes and must be a positive duration") {
    CHECK(parse_ok(base).global.max_retry_after == std::chrono::minutes(15));
    CHECK(parse_ok("global: {max_retry_after: 2m}\n" + base).global.max_retry_after ==
          std::chrono::minutes(2));
    const auto errors = errors_of("global: {max_retry_after: 0s}\n" + base);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].starts_with("config.yaml:1: global.max_retry_after:"));
  }
}
