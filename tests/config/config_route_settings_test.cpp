#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "probes/adapter.hpp"
#include "tests/config/config_test_support.hpp"
#include "tests/support/scoped_temp_dir.hpp"
#include "tests/support/test_paths.hpp"

using namespace visionwatch;
using namespace visionwatch::config_testing;
using std::chrono::milliseconds;

TEST_SUITE("unit") {
  TEST_CASE("stream defaults to false - is inherited from defaults and set per route") {
    const auto c = parse_defaults_and_override("stream: true", "stream: false");
    CHECK(c.routes[0].settings.stream);
    CHECK_FALSE(c.routes[1].settings.stream);
    CHECK_FALSE(parse_ok(base).routes[0].settings.stream);
    CHECK(errors_of(base + "    stream: maybe\n").size() == 1);
  }

  TEST_CASE("stream true on a flavour without a stream parser is refused with its line") {
    // Which flavours stream is the flavour table's make_stream column: the expectation is
    // derived from it, so the test holds while decoders are added (Bedrock streams now).
    std::string streaming;
    for (const auto name : api_flavour_names()) {
      if (can_stream(*api_flavour_from_string(name))) {
        streaming += (streaming.empty() ? "" : ", ") + std::string(name);
      }
    }
    CHECK(streaming.starts_with("openai-chat"));
    CHECK(streaming.find("bedrock-converse") != std::string::npos);
    for (const auto name : api_flavour_names()) {
      CAPTURE(name);
      const std::string gateway =
          "  - {name: gw, base_url: \"https://g/v1\", api: " + std::string(name) + "}\n";
      const std::string yaml = "gateways:\n" + gateway +                     // lines 1-2
                               "routes:\n"                                   // 3
                               "  - {name: plain, gateway: gw, model: m}\n"  // 4
                               "  - {name: streamed, gateway: gw, model: m, stream: true}\n";  // 5
      std::vector<std::string> refused;
      for (const auto& e : errors_of(yaml)) {
        if (e.find(".stream: ") != std::string::npos) {
          refused.push_back(e);
        }
      }
      if (can_stream(*api_flavour_from_string(name))) {
        CHECK(refused.empty());
      } else {
        CHECK(refused == std::vector<std::string>{"config.yaml:5: routes.streamed.stream: stream: "
                                                  "true, but api \"" +
                                                  std::string(name) +
                                                  "\" of gateway \"gw\" has no stream parser "
                                                  "(streaming: " +
                                                  streaming + ")"});
      }
    }
  }

  TEST_CASE("timeout longer than interval is an error also when inherited") {
    check_error_cases({
        {base + "    interval: 10s\n",
         {"config.yaml:8: routes[0].timeout: timeout 30s is longer than interval 10s"}},
        {"defaults: {interval: 1m, timeout: 1m30s}\n" + base,
         {"config.yaml:1: defaults.timeout: timeout 1m30s is longer than interval 1m"}},
    });
  }

  TEST_CASE("image size is limited to 64..4096 and numbers to their ranges") {
    CHECK(errors_of(base + "    challenge: {width: 63, height: 4097, temperature: 3}\n") ==
          std::vector<std::string>{
              "config.yaml:8: routes[0].challenge.width: \"63\" is out of range (64..4096)",
              "config.yaml:8: routes[0].challenge.height: \"4097\" is out of range (64..4096)",
              "config.yaml:8: routes[0].challenge.temperature: \"3\" is out of range (0..2)"});
  }

  TEST_CASE("challenge images is 1 to 4 - default 1 - and only for generated challenges") {
    CHECK(parse_ok(base).routes[0].settings.challenge.images == 1);
    CHECK(parse_ok(base + "    challenge: {images: 4}\n").routes[0].settings.challenge.images == 4);
    CHECK(parse_ok("defaults: {challenge: {images: 2}}\n" + base)
              .routes[0]
              .settings.challenge.images == 2);
    check_error_cases({
        {base + "    challenge: {images: 0}\n",
         {R"(config.yaml:8: routes[0].challenge.images: "0" is out of range (1..4))"}},
        {base + "    challenge: {images: 5}\n",
         {R"(config.yaml:8: routes[0].challenge.images: "5" is out of range (1..4))"}},
        {base + "    challenge: {images: 2, media: remote_url, image_url: \"https://i/x.png\", "
                "prompt: p, expect: {words: [w]}}\n"
                "global: {media_base_url: \"https://vw.example/media/\"}\n",
         {"config.yaml:8: routes[0].challenge.images: images applies only to generated "
          "challenges"}},
    });
  }

  TEST_CASE("each kind refuses images smaller than its minimum size") {
    check_error_cases({
        {base + "    challenge: {kind: count, width: 1024, height: 200}\n",
         {"config.yaml:8: routes[0].challenge: count challenges need width and height of at "
          "least 256 pixels (got 1024x200)"}},
        {"defaults: {challenge: {width: 128, height: 128}}\n" + base +
             "    challenge: {kind: shape}\n",
         {"config.yaml:9: routes[0].challenge: shape challenges need width and height of at "
          "least 256 pixels (got 128x128)"}},
    });
    CHECK(parse_ok(base + "    challenge: {kind: color, width: 128, height: 128}\n")
              .routes[0]
              .settings.challenge.width == 128);
    CHECK(parse_ok(base + "    challenge: {kind: digits, width: 64, height: 64}\n")
              .routes[0]
              .settings.challenge.width == 64);
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
    CHECK(r1.alerts.repeat_interval == std::chrono::seconds{3600});
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

  TEST_CASE("custom probes need prompt and expect and a readable PNG or JPEG of at most 20 MiB") {
    const test::scoped_temp_dir tmp("vw-img");
    const auto& dir = tmp.path;
    write_file(dir, "ok.png", png_magic);
    write_file(dir, "ok.jpg", std::string("\xff\xd8\xff\xe0", 4) + "JFIF");
    write_file(dir, "fake.png", "GIF89a not a png");
    {
      std::ofstream big(dir / "big.png", std::ios::binary);
      big << png_magic;
      big.seekp(std::streamoff{20} * 1024 * 1024 + 1);
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
    errors.reserve(r.errors.size());
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
  }

  TEST_CASE("remote_url media needs global.media_base_url for generated challenges") {
    CHECK(errors_of(base + "    challenge: {media: remote_url}\n") ==
          std::vector<std::string>{
              "config.yaml:8: routes[0].challenge.media: remote_url needs global.media_base_url "
              "(the public URL gateways fetch images from)"});
    parse_ok("global: {media_base_url: \"https://vw.example/media/\"}\n" + base +
             "    challenge: {media: remote_url}\n");
  }
}
