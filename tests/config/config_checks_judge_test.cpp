// The verdict settings issue 11 added to `checks:` and `challenge.expect`: expect_model (served
// model check) and the custom pattern compiled once at load.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "tests/config/config_test_support.hpp"
#include "tests/support/scoped_temp_dir.hpp"
#include "tests/support/test_paths.hpp"

using namespace visionwatch;
using namespace visionwatch::config_testing;

TEST_SUITE("unit") {
  TEST_CASE("expect_model takes a prefix - a re: regex or off and is inherited from defaults") {
    const auto c = parse_ok(
        "defaults:\n"
        "  checks: {expect_model: gpt-4o}\n" +
        base +
        "  - {name: r2, gateway: gw, model: m, checks: {expect_model: "
        "\"re:^gpt-4o-(2024|2025)\"}}\n"
        "  - {name: r3, gateway: gw, model: m, checks: {expect_model: off}}\n"
        "  - {name: r4, gateway: gw, model: m, checks: {expect_model: false}}\n"
        "  - {name: r5, gateway: gw, model: m, checks: {min_image_tokens: 10}}\n");
    using mode = model_expectation::mode;
    CHECK(c.routes[0].settings.checks.expect_model.kind() == mode::prefix);
    CHECK(c.routes[0].settings.checks.expect_model.text() == "gpt-4o");
    CHECK(c.routes[1].settings.checks.expect_model.kind() == mode::pattern);
    CHECK(c.routes[1].settings.checks.expect_model.text() == "^gpt-4o-(2024|2025)");
    CHECK(c.routes[1].settings.checks.expect_model.accepts("gpt-4o-2024-11-20", "m"));
    CHECK_FALSE(c.routes[1].settings.checks.expect_model.accepts("gpt-4o-mini", "m"));
    CHECK(c.routes[2].settings.checks.expect_model.kind() == mode::off);
    CHECK(c.routes[3].settings.checks.expect_model.kind() == mode::off);
    CHECK(c.routes[4].settings.checks.expect_model.kind() == mode::prefix);  // inherited
  }

  TEST_CASE("without expect_model the route's own model is expected tolerantly") {
    const auto c = parse_ok(base);
    const auto& e = c.routes[0].settings.checks.expect_model;
    CHECK(e.kind() == model_expectation::mode::route_model);
    CHECK(e.accepts("openai/M-2024-08-06", "m"));
    CHECK_FALSE(e.accepts("m-mini", "m"));
  }

  TEST_CASE("a bad expect_model is a load error naming the value") {
    check_error_cases({
        {base + "    checks: {expect_model: \"re:(a)\\\\1\"}\n",
         {R"(config.yaml:8: routes[0].checks.expect_model: "re:(a)\\1": back-references are not )"
          "supported"}},
        {base + "    checks: {expect_model: \"\"}\n",
         {R"(config.yaml:8: routes[0].checks.expect_model: "": empty; use a model name prefix, )"
          "re:<regex> or off"}},
    });
    CHECK(errors_of(base + "    checks: {expect_model: [a]}\n").size() == 1);
  }

  TEST_CASE("a custom expect.pattern is compiled once at load and shared by copies") {
    const test::scoped_temp_dir tmp("vw-pattern");
    const auto& dir = tmp.path;
    write_file(dir, "ok.png", png_magic);
    const auto file = write_file(dir,
                                 "c.yaml",
                                 base +
                                     "    challenge: {image_file: ok.png, prompt: p, expect: "
                                     "{pattern: \"(?i)^octag(on|onal)\"}}\n");
    const auto r = load_config(file, no_env);
    REQUIRE(r.errors.empty());
    const auto& ch = r.value->routes[0].settings.challenge;
    CHECK(ch.expect_pattern == "^octag(on|onal)");
    REQUIRE(ch.expect_regex);
    CHECK(ch.expect_regex->source() == "^octag(on|onal)");
    CHECK(ch.expect_regex->search("Octagon, a stop sign") == true);
    CHECK(ch.expect_regex->search("a circle") == false);
    const config copy = *r.value;  // a reload's copy shares the compiled regex
    CHECK(copy.routes[0].settings.challenge.expect_regex == ch.expect_regex);
    // Back-references would be refused at probe time; now they are refused at load.
    CHECK(errors_of(base + "    challenge: {image_file: " + (dir / "ok.png").string() +
                    ", prompt: p, expect: {pattern: \"(a)\\\\1\"}}\n") ==
          std::vector<std::string>{"config.yaml:8: routes[0].challenge.expect.pattern: "
                                   "\"(a)\\\\1\" is not a valid regular expression (ECMAScript): "
                                   "back-references are not supported",
                                   "config.yaml:8: routes[0].challenge: a user-supplied probe "
                                   "(image_file or image_url) needs expect.pattern or "
                                   "expect.words"});
  }
}
