#include "daemon/config/config_routes.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "tests/config/config_test_support.hpp"

using namespace visionwatch;
using namespace visionwatch::config_testing;
using std::chrono::milliseconds;

TEST_SUITE("unit") {
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
    check_error_cases({
        {base + "  - {name: r2, gateway: gw2, model: m}\n  - {name: r3}\n",
         {"config.yaml:8: routes[1].gateway: unknown gateway \"gw2\" (defined: gw)",
          "config.yaml:9: routes[2]: missing required key \"gateway\"",
          "config.yaml:9: routes[2]: missing required key \"model\""}},
        {"gateways:\n  - name: gw\n  - {name: gw, base_url: \"http://x/\"}\n"
         "routes: [{name: r, gateway: gw, model: m}]\n",
         {"config.yaml:2: gateways[0]: missing required key \"base_url\"",
          "config.yaml:3: gateways[1].name: gateway \"gw\" is already defined at line 2"}},
    });
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
}

namespace {

/// The 73 KB shape that expanded to 1.37 GB: defaults with a 40 KB prompt, copied into every
/// route of a matrix of 10 gateways x 3,000 models (the model list written once, by anchor).
std::string expansion_bomb(std::size_t prompt_bytes, std::size_t models) {
  std::string y = "global:\n  media_base_url: https://watch.example/media/\n";
  y += "defaults:\n  challenge:\n    image_url: https://img.example/a.png\n"
       "    media: remote_url\n    expect: {words: [octagon]}\n    prompt: \"" +
       std::string(prompt_bytes, 'p') + "\"\n";
  y += "gateways:\n";
  std::string names;
  for (int i = 0; i < 10; ++i) {
    y += "  - {name: g" + std::to_string(i) + ", base_url: https://g.example/v1}\n";
    names += (i ? ", g" : "g") + std::to_string(i);
  }
  y += "x-models: &models [";
  for (std::size_t i = 0; i < models; ++i) {
    y += (i ? ",m" : "m") + std::to_string(i);
  }
  y += "]\nroutes:\n  - matrix:\n      gateways: [" + names + "]\n      models: *models\n";
  return y;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("a small file whose matrix copies large defaults into every route is refused") {
    const auto bomb = expansion_bomb(40'000, 3'000);
    CHECK(bomb.size() < 80'000);
    const auto errors = errors_of(bomb);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find("routes[0].matrix: its 30000 routes would hold") != std::string::npos);
    CHECK(errors[0].find("more than 64 MiB of route settings") != std::string::npos);
  }

  TEST_CASE("the settings every route holds are counted and stay within the budget") {
    // The same shape, small enough: it loads and what the routes hold is measured.
    const auto cfg = parse_ok(expansion_bomb(2'000, 300));
    REQUIRE(cfg.routes.size() == 3'000);
    std::size_t held = 0;
    for (const auto& r : cfg.routes) {
      held += config_reading::route_settings_bytes(r.settings);
    }
    CHECK(held >= std::size_t{3'000} * 2'000);
    CHECK(held <= config_reading::max_route_settings_bytes);
    // One route's count grows with its texts.
    route_settings s;
    const auto plain = config_reading::route_settings_bytes(s);
    s.challenge.prompt.assign(1'000, 'x');
    s.challenge.expect_words = {"octagon", "stop sign"};
    CHECK(config_reading::route_settings_bytes(s) ==
          plain + 1'000 + 7 + 9 + 2 * sizeof(std::string));
  }

  TEST_CASE("more routes than the route limit in a plain list are refused") {
    std::string y = base;
    for (std::size_t i = 0; i < config_reading::max_routes; ++i) {
      y += "  - {name: x" + std::to_string(i) + ", gateway: gw, model: m}\n";
    }
    const auto errors = errors_of(y);
    REQUIRE_FALSE(errors.empty());
    CHECK(errors[0] == "config.yaml:5: routes: more than 100000 routes");
  }
}
