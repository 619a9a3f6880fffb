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
}
