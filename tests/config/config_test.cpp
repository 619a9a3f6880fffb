#include "daemon/config/config.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>

#include "tests/support/test_paths.hpp"

namespace doctest {
/// Error lists print one per line when a comparison fails.
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& v) {
    std::string out = "{";
    for (const auto& s : v) {
      out += "\n  \"" + s + "\"";
    }
    return (out + "}").c_str();
  }
};
}  // namespace doctest

using namespace visionwatch;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

/// An environment for tests: only these variables exist.
env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& n) -> std::optional<std::string> {
    const auto it = vars.find(n);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

const env_lookup no_env = env_of({});

std::vector<std::string> errors_of(const std::string& yaml, const env_lookup& env = no_env) {
  const auto r = parse_config(yaml, "config.yaml", env);
  std::vector<std::string> out;
  for (const auto& e : r.errors) {
    out.push_back(e.to_string());
  }
  CHECK(r.value.has_value() == out.empty());
  return out;
}

config parse_ok(const std::string& yaml, const env_lookup& env = no_env) {
  auto r = parse_config(yaml, "config.yaml", env);
  for (const auto& e : r.errors) {
    FAIL_CHECK(e.to_string());
  }
  REQUIRE(r.value);
  return std::move(*r.value);
}

/// The smallest valid file; tests append to it (line numbers below count from here).
const std::string base =
    "gateways:\n"                            // 1
    "  - name: gw\n"                         // 2
    "    base_url: https://gw.example/v1\n"  // 3
    "routes:\n"                              // 4
    "  - name: r1\n"                         // 5
    "    gateway: gw\n"                      // 6
    "    model: m\n";                        // 7

std::string write_file(const std::filesystem::path& dir,
                       const std::string& name,
                       const std::string& content) {
  const auto p = dir / name;
  std::ofstream(p, std::ios::binary) << content;
  return p.string();
}

const std::string png_magic("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);

}  // namespace

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
    CHECK(c.receivers[1].max_age == seconds{24 * 3600});
    REQUIRE(c.silences.size() == 1);
    CHECK(c.silences[0].route == "octagon");
  }

  TEST_CASE("the production example validates once its secrets exist") {
    const auto dir = test::make_temp_dir("vw-prod");
    write_file(dir, "admin-token", "admin-secret\n");
    write_file(dir, "openai-api-key", "sk-openai\r\n");
    write_file(dir, "pd-routing-key", "pd-key");
    const auto env = env_of({{"CREDENTIALS_DIRECTORY", dir.string()},
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
    std::filesystem::remove_all(dir);
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

  TEST_CASE("timeout longer than interval is an error also when inherited") {
    CHECK(errors_of(base + "    interval: 10s\n") ==
          std::vector<std::string>{
              "config.yaml:8: routes[0].timeout: timeout 30s is longer than interval 10s"});
    CHECK(errors_of("defaults: {interval: 1m, timeout: 1m30s}\n" + base) ==
          std::vector<std::string>{
              "config.yaml:1: defaults.timeout: timeout 1m30s is longer than interval 1m"});
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
              "config.yaml:1: global.listen: \"nowhere\" is not a listen address (use "
              "127.0.0.1:9464 or [::1]:9464)",
              "config.yaml:1: global.max_in_flight: \"0\" is out of range (1..100000)",
              "config.yaml:4: gateways[0].base_url: must be an http or https URL",
              "config.yaml:5: gateways[0].api: \"grpc\" is not an API flavour (use openai-chat)",
              "config.yaml:10: routes[0].intervl: unknown key (did you mean interval?)",
              "config.yaml:11: routes[0].window: \"many\" is not an integer",
          });
  }

  TEST_CASE("wrong types and duplicate keys are errors") {
    CHECK(errors_of(base + "    challenge: [digits]\n") ==
          std::vector<std::string>{
              "config.yaml:8: routes[0].challenge: expected a mapping, got a list"});
    CHECK(errors_of(base + "    model: n\n") ==
          std::vector<std::string>{
              "config.yaml:8: routes[0].model: duplicate key (first at line 7)"});
    CHECK(errors_of("routes: {a: 1}\ngateways: []\n") ==
          std::vector<std::string>{"config.yaml:1: routes: expected a list, got a mapping"});
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

  TEST_CASE("inline secrets are refused with a pointer to the secret forms") {
    CHECK(errors_of("gateways:\n  - {name: gw, base_url: \"https://g/\", api_key: sk-1}\n"
                    "routes: [{name: r, gateway: gw, model: m}]\n"
                    "receivers: [{name: p, type: pagerduty, secret: abc, secret_env: PD}]\n",
                    env_of({{"PD", "routing"}})) ==
          std::vector<std::string>{
              "config.yaml:2: gateways[0].api_key: unknown key (secrets are read from "
              "api_key_env, api_key_file or api_key_credential)",
              "config.yaml:4: receivers[0].secret: unknown key (secrets are read from secret_env, "
              "secret_file or secret_credential)"});
  }

  TEST_CASE("unreadable files are an error naming the file") {
    const auto r = load_config("/nonexistent/visionwatch.yaml", no_env);
    CHECK_FALSE(r.value);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].to_string() ==
          "/nonexistent/visionwatch.yaml: cannot read: No such file or directory");
    const auto dir = test::make_temp_dir("vw-cfg");
    CHECK(load_config(dir.string(), no_env).errors.at(0).to_string() ==
          dir.string() + ": cannot read: is a directory");
    std::filesystem::remove_all(dir);
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

  TEST_CASE("image size is limited to 64..4096 and numbers to their ranges") {
    CHECK(errors_of(base + "    challenge: {width: 63, height: 4097, temperature: 3}\n") ==
          std::vector<std::string>{
              "config.yaml:8: routes[0].challenge.width: \"63\" is out of range (64..4096)",
              "config.yaml:8: routes[0].challenge.height: \"4097\" is out of range (64..4096)",
              "config.yaml:8: routes[0].challenge.temperature: \"3\" is out of range (0..2)"});
  }

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

  TEST_CASE("URL errors never echo the URL which may hold credentials") {
    const auto errors = errors_of(
        "gateways:\n  - {name: gw, base_url: \"ftp://user:hunter2@g/\", "
        "proxy_url: \"https://u:pw-hunter2@proxy:3128\"}\n"
        "routes: [{name: r, gateway: gw, model: m}]\n");
    CHECK(errors == std::vector<std::string>{
                        "config.yaml:2: gateways[0].base_url: must be an http or https URL",
                        "config.yaml:2: gateways[0].proxy_url: must be an http URL"});
  }

  TEST_CASE("route names must be valid labels and unique") {
    CHECK(errors_of(base + "  - {name: \"bad name\", gateway: gw, model: m}\n"
                           "  - {name: r1, gateway: gw, model: m2}\n") ==
          std::vector<std::string>{
              "config.yaml:8: routes[1].name: \"bad name\" is not a valid route name (letters, "
              "digits and . _ : / @ -, starting with a letter or digit, at most 128)",
              "config.yaml:9: routes[2].name: route name \"r1\" is also used by routes[0] (line "
              "5)"});
  }

  TEST_CASE("routes must reference defined gateways and name required keys") {
    CHECK(errors_of(base + "  - {name: r2, gateway: gw2, model: m}\n  - {name: r3}\n") ==
          std::vector<std::string>{
              "config.yaml:8: routes[1].gateway: unknown gateway \"gw2\" (defined: gw)",
              "config.yaml:9: routes[2]: missing required key \"gateway\"",
              "config.yaml:9: routes[2]: missing required key \"model\""});
    CHECK(errors_of("gateways:\n  - name: gw\n  - {name: gw, base_url: \"http://x/\"}\n"
                    "routes: [{name: r, gateway: gw, model: m}]\n") ==
          std::vector<std::string>{
              "config.yaml:2: gateways[0]: missing required key \"base_url\"",
              "config.yaml:3: gateways[1].name: gateway \"gw\" is already defined at line 2"});
  }

  TEST_CASE("matrix routes expand over gateways and models with a name template") {
    const auto c = parse_ok(
        "gateways:\n  - {name: a, base_url: \"https://a/\"}\n  - {name: b, base_url: "
        "\"https://b/\"}\n"
        "routes:\n"
        "  - matrix: {gateways: [a, b], models: [m1, vendor/m2]}\n"
        "    interval: 2m\n"
        "  - matrix: {gateway: a, models: [m3]}\n"
        "    name: \"probe-{model}@{gateway}\"\n");
    REQUIRE(c.routes.size() == 5);
    CHECK(c.routes[0].name == "a/m1");
    CHECK(c.routes[1].name == "a/vendor/m2");
    CHECK(c.routes[2].name == "b/m1");
    CHECK(c.routes[3].name == "b/vendor/m2");
    CHECK(c.routes[3].gateway == "b");
    CHECK(c.routes[3].model == "vendor/m2");
    CHECK(c.routes[3].settings.interval == milliseconds{120'000});
    CHECK(c.routes[4].name == "probe-m3@a");
    CHECK(c.routes[4].settings.interval == milliseconds{60'000});
  }

  TEST_CASE("matrix duplicates after expansion name both routes") {
    CHECK(errors_of(base + "  - matrix: {gateway: gw, models: [x, r1]}\n"
                           "    name: \"{model}\"\n"
                           "  - matrix: {gateway: gw, models: [y, y]}\n"
                           "  - matrix: {gateway: gw, models: [z]}\n"
                           "    name: \"{modle}\"\n"
                           "    model: z\n") ==
          std::vector<std::string>{
              "config.yaml:9: routes[1].name: route name \"r1\" is also used by routes[0] (line 5)",
              "config.yaml:10: routes[2].name: route name \"gw/y\" is also used by routes[2] "
              "(line 10)",
              "config.yaml:12: routes[3].name: unknown placeholder {modle} (use {gateway} and "
              "{model})",
              "config.yaml:13: routes[3].model: not allowed beside matrix (list models under "
              "matrix)"});
  }

  TEST_CASE("defaults are inherited field by field and nested maps merge per key") {
    const auto c = parse_ok(
        "defaults:\n"
        "  interval: 2m\n"
        "  window: 50\n"
        "  challenge: {kind: color, width: 256, detail: high}\n"
        "  checks: {no_image_phrases: [nope], extra_refusal_phrases: [declined]}\n"
        "  price: {input_per_million: 0.4, output_per_million: 1.6}\n"
        "  alerts:\n"
        "    repeat_interval: 1h\n"
        "    rules:\n"
        "      silent_failure: {failure_threshold: 5, receivers: [hook]}\n"
        "      latency: {threshold: 20s}\n" +
        base +
        "    challenge: {width: 1024}\n"
        "    checks: {extra_no_image_phrases: [blind]}\n"
        "    price: {output_per_million: 2}\n"
        "    alerts: {rules: {silent_failure: {severity: warning}, latency: {enabled: false}}}\n"
        "  - {name: r2, gateway: gw, model: m, interval: 5m}\n"
        "receivers: [{name: hook, type: webhook, url: \"https://h/\"}]\n");
    const auto& r1 = c.routes[0].settings;
    CHECK(r1.interval == milliseconds{120'000});
    CHECK(r1.window == 50);
    CHECK(r1.challenge.kind == challenge_kind::color);
    CHECK(r1.challenge.width == 1024);
    CHECK(r1.challenge.height == 512);
    CHECK(r1.challenge.detail == "high");
    CHECK(r1.checks.no_image_phrases == std::vector<std::string>{"nope", "blind"});
    CHECK(r1.checks.refusal_phrases.back() == "declined");
    CHECK(r1.checks.refusal_phrases.size() == default_refusal_phrases().size() + 1);
    CHECK(r1.price.input_per_million == 0.4);
    CHECK(r1.price.output_per_million == 2.0);
    CHECK(r1.alerts.repeat_interval == seconds{3600});
    const auto rule = [](const route_settings& s, alert_rule_kind k) {
      return *std::find_if(s.alerts.rules.begin(),
                           s.alerts.rules.end(),
                           [&](const alert_rule_config& r) { return r.kind == k; });
    };
    const auto sf1 = rule(r1, alert_rule_kind::silent_failure);
    CHECK(sf1.failure_threshold == 5);
    CHECK(sf1.severity == "warning");
    CHECK(sf1.receivers == std::vector<std::string>{"hook"});
    CHECK_FALSE(rule(r1, alert_rule_kind::latency).enabled);
    const auto& r2 = c.routes[1].settings;
    CHECK(r2.interval == milliseconds{300'000});
    CHECK(r2.challenge.width == 256);
    CHECK(r2.checks.no_image_phrases == std::vector<std::string>{"nope"});
    // Both inherit the refusal list from `defaults:` without a copy; r1 extended its no-image
    // list, so that one is its own.
    CHECK(r1.checks.refusal_phrases.shares_with(r2.checks.refusal_phrases));
    CHECK_FALSE(r1.checks.no_image_phrases.shares_with(r2.checks.no_image_phrases));
    CHECK(rule(r2, alert_rule_kind::silent_failure).severity == "critical");
    CHECK(rule(r2, alert_rule_kind::latency).enabled);
    CHECK(rule(r2, alert_rule_kind::latency).threshold == 20.0);
    CHECK_FALSE(rule(r2, alert_rule_kind::cost).enabled);
    CHECK(rule(r2, alert_rule_kind::success_ratio).threshold == 0.8);
  }

  TEST_CASE("built-in defaults apply when nothing is configured") {
    const auto c = parse_ok(base);
    const auto& s = c.routes[0].settings;
    CHECK(s.interval == milliseconds{60'000});
    CHECK(s.timeout == milliseconds{30'000});
    CHECK(s.checks.no_image_phrases == default_no_image_phrases());
    CHECK(s.checks.refusal_phrases == default_refusal_phrases());
    // One copy of the built-in lists for every route (11 KB per route otherwise).
    CHECK(s.checks.no_image_phrases.shares_with(default_no_image_phrase_list()));
    CHECK(s.checks.refusal_phrases.shares_with(default_refusal_phrase_list()));
    CHECK(s.alerts.rules.size() == 5);
    CHECK(c.global.listen == "127.0.0.1:9464");
    CHECK(c.find_gateway("gw")->client.use_env_proxy);
  }

  TEST_CASE("alert thresholds are range-checked and latency/cost need one") {
    CHECK(errors_of(base + "    alerts:\n"
                           "      rules:\n"
                           "        success_ratio: {threshold: 1.5}\n"
                           "        latency: {enabled: true}\n"
                           "        route_down: {threshold: 3, failure_threshold: 0}\n"
                           "        flapping: {}\n") ==
          std::vector<std::string>{
              "config.yaml:10: routes[0].alerts.rules.success_ratio.threshold: \"1.5\" is out "
              "of range (0..1)",
              "config.yaml:11: routes[0].alerts.rules.latency: latency needs a threshold",
              "config.yaml:12: routes[0].alerts.rules.route_down.threshold: unknown key",
              "config.yaml:12: routes[0].alerts.rules.route_down.failure_threshold: \"0\" is out "
              "of range (1..1000)",
              "config.yaml:13: routes[0].alerts.rules.flapping: unknown alert rule (use "
              "silent_failure, route_down, success_ratio, latency, cost)"});
  }

  TEST_CASE("rule receivers must exist and description placeholders must be known") {
    CHECK(errors_of("defaults:\n  alerts: {rules: {route_down: {receivers: [pager], "
                    "description: \"{route} is {status}\"}}}\n" +
                    base + "receivers: [{name: hook, type: webhook, url: \"https://h/\"}]\n") ==
          std::vector<std::string>{
              "config.yaml:2: defaults.alerts.rules.route_down.description: unknown placeholder "
              "{status} (use {route}, {model}, {gateway}, {rule}, {reason}, {value})",
              "config.yaml:2: defaults.alerts.rules.route_down.receivers[0]: unknown receiver "
              "\"pager\""});
  }

  TEST_CASE("receivers: unique names and what each type requires") {
    CHECK(errors_of(base +
                    "receivers:\n"                                                      // 8
                    "  - {name: a, type: webhook}\n"                                    // 9
                    "  - {name: a, type: slack, url: \"https://s/\", secret_env: X}\n"  // 10
                    "  - {name: pd, type: pagerduty}\n"                                 // 11
                    "  - {name: w, type: webhook, url: \"https://w/\", resend_interval: 1m}\n") ==
          std::vector<std::string>{
              "config.yaml:9: receivers[0]: webhook receivers need url (or url_env, url_file, "
              "url_credential)",
              "config.yaml:10: receivers[1].name: receiver \"a\" is already defined at line 9",
              "config.yaml:10: receivers[1].secret_env: environment variable X is not set",
              "config.yaml:10: receivers[1].secret_env: slack receivers take no secret",
              "config.yaml:11: receivers[2]: pagerduty receivers need the routing key as "
              "secret_env, secret_file or secret_credential",
              "config.yaml:12: receivers[3].resend_interval: only alertmanager receivers re-send"});
  }

  TEST_CASE("receiver retry backoff is configurable and must be ordered") {
    const auto c = parse_ok(base +
                            "receivers:\n"
                            "  - {name: w, type: webhook, url: \"https://w/\", min_backoff: 5s, "
                            "max_backoff: 10m}\n"
                            "  - {name: d, type: webhook, url: \"https://d/\"}\n");
    CHECK(c.receivers[0].min_backoff == milliseconds{5'000});
    CHECK(c.receivers[0].max_backoff == milliseconds{600'000});
    CHECK(c.receivers[1].min_backoff == milliseconds{1'000});  // the defaults
    CHECK(c.receivers[1].max_backoff == milliseconds{300'000});
    CHECK(errors_of(base +
                    "receivers:\n"  // 8
                    "  - {name: w, type: webhook, url: \"https://w/\", min_backoff: 2m, "
                    "max_backoff: 1m}\n"                                                     // 9
                    "  - {name: v, type: webhook, url: \"https://v/\", min_backoff: 10m}\n"  // 10
                    "  - {name: u, type: webhook, url: \"https://u/\", max_backoff: 0s}\n") ==
          std::vector<std::string>{
              "config.yaml:9: receivers[0].max_backoff: max_backoff (60000 ms) is shorter than "
              "min_backoff (120000 ms)",
              "config.yaml:10: receivers[1].min_backoff: max_backoff (300000 ms) is shorter than "
              "min_backoff (600000 ms)",
              "config.yaml:11: receivers[2].max_backoff: \"0s\" must be positive"});
  }

  TEST_CASE("what the notifier would refuse is a configuration error - not a failed reload") {
    // A webhook signing secret outside the Standard Webhooks format: before, validation passed
    // and a reload threw when the notifier was rebuilt. The secret itself is never echoed.
    const auto errors = errors_of(base +
                                      "receivers:\n"  // 8
                                      "  - {name: w, type: webhook, url: \"https://w/\", "
                                      "secret_env: HOOK_SECRET}\n",
                                  env_of({{"HOOK_SECRET", "not-a-whsec-value"}}));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].starts_with("config.yaml:9: receivers[0]: receiver 'w': secret must be"));
    CHECK(errors[0].find("not-a-whsec-value") == std::string::npos);
  }

  TEST_CASE("custom probes need prompt and expect and a readable PNG or JPEG of at most 20 MiB") {
    const auto dir = test::make_temp_dir("vw-img");
    write_file(dir, "ok.png", png_magic);
    write_file(dir, "ok.jpg", std::string("\xff\xd8\xff\xe0", 4) + "JFIF");
    write_file(dir, "fake.png", "GIF89a not a png");
    {
      std::ofstream big(dir / "big.png", std::ios::binary);
      big << png_magic;
      big.seekp(20 * 1024 * 1024 + 1);
      big << 'x';
    }
    const auto file = (dir / "c.yaml").string();
    const std::string yaml =
        base +
        "    challenge: {image_file: ok.png}\n"  // 8
        "  - {name: j, gateway: gw, model: m, challenge: {image_file: ok.jpg, prompt: p, "
        "expect: {words: [w]}}}\n"                                                   // 9
        "  - {name: f, gateway: gw, model: m, challenge: {image_file: fake.png}}\n"  // 10
        "  - {name: b, gateway: gw, model: m, challenge: {image_file: big.png}}\n"   // 11
        "  - {name: n, gateway: gw, model: m, challenge: {image_file: none.png}}\n"  // 12
        "  - {name: g, gateway: gw, model: m, challenge: {prompt: p}}\n"             // 13
        "  - {name: u, gateway: gw, model: m, challenge: {image_url: \"https://i/x.png\", "
        "prompt: p, expect: {pattern: \"(un\"}}}\n";  // 14
    const auto r = parse_config(yaml, file, no_env);
    std::vector<std::string> errors;
    for (const auto& e : r.errors) {
      errors.push_back(e.to_string());
    }
    const std::string d = dir.string();
    CHECK(errors ==
          std::vector<std::string>{
              file + ":8: routes[0].challenge: a user-supplied probe (image_file or image_url) "
                     "needs a prompt",
              file + ":8: routes[0].challenge: a user-supplied probe (image_file or image_url) "
                     "needs expect.pattern or expect.words",
              file + ":10: routes[2].challenge.image_file: " + d +
                  "/fake.png is not a PNG or JPEG image",
              file + ":11: routes[3].challenge.image_file: " + d + "/big.png is larger than 20 MiB",
              file + ":12: routes[4].challenge.image_file: cannot read " + d +
                  "/none.png: No such file or directory",
              file + ":13: routes[5].challenge: prompt and expect apply only to user-supplied "
                     "probes (image_file or image_url)",
              file +
                  ":14: routes[6].challenge.expect.pattern: \"(un\" is not a valid regular "
                  "expression (ECMAScript): " +
                  [] {
                    try {
                      std::regex("(un");
                    } catch (const std::regex_error& e) {
                      return std::string(e.what());
                    }
                    return std::string();
                  }(),
              file + ":14: routes[6].challenge: a user-supplied probe (image_file or image_url) "
                     "needs expect.pattern or expect.words",
              file + ":14: routes[6].challenge: image_url needs media: remote_url (the gateway "
                     "fetches the image)",
          });
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("remote_url media needs global.media_base_url for generated challenges") {
    CHECK(errors_of(base + "    challenge: {media: remote_url}\n") ==
          std::vector<std::string>{
              "config.yaml:8: routes[0].challenge.media: remote_url needs global.media_base_url "
              "(the public URL gateways fetch images from)"});
    parse_ok("global: {media_base_url: \"https://vw.example/media/\"}\n" + base +
             "    challenge: {media: remote_url}\n");
  }

  TEST_CASE("silences reference existing routes and RFC 3339 times") {
    CHECK(errors_of(base + "silences:\n"
                           "  - {route: r1, until: 2026-12-01T00:00:00Z, comment: ok}\n"
                           "  - {route: r9, until: tomorrow}\n") ==
          std::vector<std::string>{
              "config.yaml:10: silences[1].route: unknown route \"r9\"",
              "config.yaml:10: silences[1].until: \"tomorrow\" is not an RFC 3339 time (e.g. "
              "2026-12-01T00:00:00Z)"});
  }

  TEST_CASE("listen address is parsed and a non-loopback listen needs an admin token") {
    CHECK(errors_of("global: {listen: \"0.0.0.0:9464\"}\n" + base) ==
          std::vector<std::string>{
              "config.yaml:1: global.listen: \"0.0.0.0:9464\" is not a loopback address, so "
              "global.admin_token_env, admin_token_file or admin_token_credential is required"});
    const auto c = parse_ok("global: {listen: \"[::]:9464\", admin_token_env: TOKEN}\n" + base,
                            env_of({{"TOKEN", "t0k"}}));
    CHECK(c.global.admin_token == "t0k");
    parse_ok("global: {listen: \"[::1]:0\"}\n" + base);
  }

  TEST_CASE("external labels must be valid and not shadow visionwatch's labels") {
    CHECK(errors_of("global: {external_labels: {region: eu, 1x: a, __x: b, route: c}}\n" + base) ==
          std::vector<std::string>{
              "config.yaml:1: global.external_labels.1x: \"1x\" is not a valid label name "
              "([a-zA-Z_][a-zA-Z0-9_]*, no __ prefix)",
              "config.yaml:1: global.external_labels.__x: \"__x\" is not a valid label name "
              "([a-zA-Z_][a-zA-Z0-9_]*, no __ prefix)",
              "config.yaml:1: global.external_labels.route: \"route\" is a label visionwatch "
              "sets itself"});
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

  TEST_CASE(
      "secrets come from env or file or systemd credential with one trailing newline stripped") {
    const auto dir = test::make_temp_dir("vw-secret");
    write_file(dir, "key.txt", "file-key\n");
    write_file(dir, "hook", "whsec_abc\n\n");
    write_file(dir, "empty", "");
    std::filesystem::create_directory(dir / "subdir");
    const std::string yaml =
        "gateways:\n"
        "  - {name: a, base_url: \"https://a/\", api_key_env: A_KEY}\n"
        "  - {name: b, base_url: \"https://b/\", api_key_file: key.txt}\n"
        "  - {name: c, base_url: \"https://c/\", api_key_credential: key.txt}\n"
        "routes: [{name: r, gateway: a, model: m}]\n"
        "receivers:\n"
        "  - {name: s, type: slack, url_credential: slack}\n";
    write_file(dir, "slack", "https://hooks.slack.com/services/T/B/C\n");
    const auto file = (dir / "c.yaml").string();
    auto r = parse_config(
        yaml, file, env_of({{"A_KEY", "env-key"}, {"CREDENTIALS_DIRECTORY", dir.string()}}));
    REQUIRE(r.value);
    CHECK(r.value->gateways[0].api_key == "env-key");
    CHECK(r.value->gateways[1].api_key == "file-key");
    CHECK(r.value->gateways[2].api_key == "file-key");
    CHECK(r.value->receivers[0].url == "https://hooks.slack.com/services/T/B/C");

    r = parse_config(
        "gateways:\n"
        "  - {name: a, base_url: \"https://a/\", api_key_env: A_KEY}\n"
        "  - {name: b, base_url: \"https://b/\", api_key_file: empty}\n"
        "  - {name: c, base_url: \"https://c/\", api_key_credential: key.txt}\n"
        "  - {name: d, base_url: \"https://d/\", api_key_file: hook}\n"
        "  - {name: e, base_url: \"https://e/\", api_key_env: E, api_key_file: key.txt}\n"
        "  - {name: f, base_url: \"https://f/\", api_key_file: subdir}\n"
        "  - {name: g, base_url: \"https://g/\", api_key_file: /dev/null}\n"
        "routes: [{name: r, gateway: a, model: m}]\n",
        file,
        no_env);
    std::vector<std::string> errors;
    for (const auto& e : r.errors) {
      errors.push_back(e.to_string());
    }
    CHECK(errors ==
          std::vector<std::string>{
              file + ":2: gateways[0].api_key_env: environment variable A_KEY is not set",
              file + ":3: gateways[1].api_key_file: " + dir.string() + "/empty is empty",
              file + ":4: gateways[2].api_key_credential: CREDENTIALS_DIRECTORY is not set "
                     "(api_key_credential needs systemd LoadCredential= or SetCredential=)",
              file + ":5: gateways[3].api_key_file: the secret contains a line break or NUL byte",
              file + ":6: gateways[4].api_key_file: set only one of api_key_env, api_key_file",
              file + ":7: gateways[5].api_key_file: cannot read " + dir.string() +
                  "/subdir: is a directory",
              file + ":8: gateways[6].api_key_file: cannot read /dev/null: not a regular file"});
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("secret values never appear in any error message") {
    const std::string secret = "sk-VWTESTSECRET-0123456789";
    const auto dir = test::make_temp_dir("vw-leak");
    write_file(dir, "key", secret + "\n");
    const auto env = env_of({{"LEAK", secret}, {"LEAK_URL", "https://user:" + secret + "@h/"}});
    const std::string yaml =
        "global: {listen: \"${LEAK}\", public_url: \"ftp://x:${LEAK}@h/\"}\n"
        "gateways:\n"
        "  - name: gw\n"
        "    base_url: \"${LEAK}\"\n"
        "    api_key_env: LEAK\n"
        "    headers: {X-Key: \"${LEAK}\\nX\", Authorization: \"Bearer ${LEAK}\"}\n"
        "    proxy_url: \"${LEAK_URL}#frag\"\n"
        "  - {name: \"${LEAK} x\", base_url: \"https://h/\", api_key_file: key}\n"
        "routes:\n"
        "  - name: \"${LEAK}!\"\n"
        "    gateway: \"${LEAK}\"\n"
        "    model: m\n"
        "    interval: \"${LEAK}\"\n"
        "    window: \"${LEAK}\"\n"
        "    challenge: {kind: \"${LEAK}\", width: \"${LEAK}\", detail: \"${LEAK}\"}\n"
        "  - matrix: {gateway: gw, models: [\"${LEAK} y\"]}\n"
        "receivers:\n"
        "  - {name: s, type: slack, url_file: key, secret_env: LEAK}\n"
        "  - {name: t, type: \"${LEAK}\", url: \"${LEAK}\"}\n"
        "silences: [{route: \"${LEAK}\", until: \"${LEAK}\"}]\n";
    const auto r = parse_config(yaml, (dir / "c.yaml").string(), env);
    CHECK(r.errors.size() >= 15);
    for (const auto& e : r.errors) {
      const auto text = e.to_string();
      CAPTURE(text);
      CHECK(text.find("VWTESTSECRET") == std::string::npos);
    }
    std::filesystem::remove_all(dir);
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

  TEST_CASE("gateway headers and TLS and proxy settings reach client_options") {
    const auto dir = test::make_temp_dir("vw-tls");
    write_file(dir, "ca.pem", "-----BEGIN CERTIFICATE-----\n");
    const auto r = parse_config(
        "gateways:\n"
        "  - name: gw\n"
        "    base_url: https://gw/v1\n"
        "    headers: {X-Title: visionwatch, Host: evil, \"bad header\": x}\n"
        "    tls: {ca_file: ca.pem, server_name: api.internal, insecure_skip_verify: true}\n"
        "    proxy_url: http://proxy:3128\n"
        "    keep_alive: true\n"
        "    connect_timeout: 2s\n"
        "    max_body: 512KiB\n"
        "    max_concurrency: 9\n"
        "routes: [{name: r, gateway: gw, model: m}]\n",
        (dir / "c.yaml").string(),
        no_env);
    REQUIRE(r.errors.size() == 2);
    CHECK(r.errors[0].message == "the Host header is set by visionwatch");
    CHECK(r.errors[1].message == "\"bad header\" is not a valid header name");
    const auto ok = parse_config(
        "gateways:\n"
        "  - name: gw\n"
        "    base_url: https://gw/v1\n"
        "    headers: {X-Title: visionwatch}\n"
        "    tls: {ca_file: ca.pem, server_name: api.internal, insecure_skip_verify: true}\n"
        "    proxy_url: http://proxy:3128\n"
        "    keep_alive: true\n"
        "    connect_timeout: 2s\n"
        "    max_body: 512KiB\n"
        "    max_concurrency: 9\n"
        "routes: [{name: r, gateway: gw, model: m}]\n",
        (dir / "c.yaml").string(),
        no_env);
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
    std::filesystem::remove_all(dir);
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
