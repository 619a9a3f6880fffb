// shapes (defaults and routes): reading, the default [plain], and the refusals with their
// file:line: unknown names, duplicates, an empty list, a shape the gateway's api flavour cannot
// send, and image shapes on a user-supplied probe.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "tests/config/config_test_support.hpp"

using namespace visionwatch;
using namespace visionwatch::config_testing;

namespace {

/// `base` with the gateway speaking `api`.
std::string on_api(const std::string& api) {
  return "gateways:\n"                            // 1
         "  - name: gw\n"                         // 2
         "    base_url: https://gw.example/v1\n"  // 3
         "    api: " +
         api +
         "\n"                 // 4
         "routes:\n"          // 5
         "  - name: r1\n"     // 6
         "    gateway: gw\n"  // 7
         "    model: m\n";    // 8
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("a route without shapes probes plain only") {
    const auto c = parse_ok(base);
    CHECK(c.routes[0].settings.shapes == std::vector<probe_shape>{probe_shape::plain});
  }

  TEST_CASE("shapes are read from defaults and a route's own list replaces them") {
    const auto c =
        parse_defaults_and_override("shapes: [plain, tools]", "shapes: [history, jpeg, rgba]");
    CHECK(c.routes[0].settings.shapes ==
          std::vector<probe_shape>{probe_shape::plain, probe_shape::tools});
    CHECK(c.routes[1].settings.shapes ==
          std::vector<probe_shape>{probe_shape::history, probe_shape::jpeg, probe_shape::rgba});
  }

  TEST_CASE("every shape name is accepted in the order written") {
    const auto c = parse_ok(base +
                            "    shapes: [large, rgba, gif, webp, jpeg, history, tools, system, "
                            "plain]\n");
    const auto& s = c.routes[0].settings.shapes;
    REQUIRE(s.size() == probe_shape_count);
    CHECK(s.front() == probe_shape::large);
    CHECK(s.back() == probe_shape::plain);
  }

  TEST_CASE("an unknown shape is refused at its own line with the names to use") {
    CHECK(errors_of(base + "    shapes:\n      - plain\n      - tool\n") ==
          std::vector<std::string>{
              "config.yaml:10: routes[0].shapes[1]: \"tool\" is not a shape (use plain, system, "
              "tools, history, jpeg, webp, gif, rgba, large)"});
  }

  TEST_CASE("a shape listed twice is refused at the second mention") {
    CHECK(errors_of("defaults:\n  shapes: [plain,\n    tools, plain]\n" + base) ==
          std::vector<std::string>{"config.yaml:3: defaults.shapes[2]: \"plain\" is listed twice"});
  }

  TEST_CASE("an empty or non-list shapes is refused") {
    CHECK(errors_of(base + "    shapes: []\n") ==
          std::vector<std::string>{"config.yaml:8: routes[0].shapes: must list at least one shape "
                                   "(plain is today's request)"});
    const auto scalar = errors_of(base + "    shapes: tools\n");
    REQUIRE(scalar.size() == 1);
    CHECK(scalar[0].starts_with("config.yaml:8: routes[0].shapes: "));
    const auto nested = errors_of(base + "    shapes: [[plain]]\n");
    REQUIRE(nested.size() == 1);
    CHECK(nested[0].starts_with("config.yaml:8: routes[0].shapes[0]: expected a shape name"));
  }

  TEST_CASE("a shape the gateway's api flavour cannot send is refused at the shapes line") {
    CHECK(errors_of(on_api("gemini") + "    shapes: [plain, gif]\n") ==
          std::vector<std::string>{
              "config.yaml:9: routes[0].shapes: shape gif cannot go through gateway \"gw\": "
              "gemini does not accept GIF images (its image types are PNG, JPEG, WebP, HEIC and "
              "HEIF)"});
    CHECK(errors_of(on_api("gemini") + "    shapes: [plain, jpeg, webp, tools]\n").empty());
    CHECK(errors_of(on_api("openai-chat") + "    shapes: [plain, gif]\n").empty());
  }

  TEST_CASE("an unsupported shape inherited from defaults points at the defaults line") {
    CHECK(errors_of("defaults:\n  shapes: [gif]\n" + on_api("gemini")) ==
          std::vector<std::string>{
              "config.yaml:2: routes[0].shapes: shape gif cannot go through gateway \"gw\": "
              "gemini does not accept GIF images (its image types are PNG, JPEG, WebP, HEIC and "
              "HEIF)"});
  }

  TEST_CASE("a matrix reports an unsupported shape once per gateway - not once per model") {
    const auto errors = errors_of(
        "gateways:\n"
        "  - {name: g, base_url: \"https://g.example/v1\", api: gemini}\n"
        "  - {name: o, base_url: \"https://o.example/v1\"}\n"
        "routes:\n"
        "  - matrix: {gateways: [g, o], models: [a, b, c]}\n"
        "    shapes: [plain, gif]\n");
    REQUIRE(errors.size() == 1);
    CHECK(
        errors[0].starts_with("config.yaml:6: routes[0].shapes: shape gif cannot go through "
                              "gateway \"g\""));
  }

  TEST_CASE("a user-supplied probe takes the request shapes but not the image shapes") {
    const auto dir = std::filesystem::temp_directory_path() / "vw-config-shapes";
    std::filesystem::create_directories(dir);
    const auto image = write_file(dir, "probe.png", png_magic);
    const std::string custom = "    challenge:\n      image_file: " + image +
                               "\n      prompt: \"What is shown?\"\n"
                               "      expect: {words: [cat]}\n";
    CHECK(errors_of(base + custom + "    shapes: [plain, system, tools, history]\n").empty());
    CHECK(errors_of(base + custom + "    shapes: [plain, jpeg, large]\n") ==
          std::vector<std::string>{
              "config.yaml:12: routes[0].shapes: shape jpeg changes the generated image; a "
              "user-supplied probe (image_file or image_url) is sent as it is (its shapes: "
              "plain, system, tools, history)",
              "config.yaml:12: routes[0].shapes: shape large changes the generated image; a "
              "user-supplied probe (image_file or image_url) is sent as it is (its shapes: "
              "plain, system, tools, history)"});
    std::filesystem::remove_all(dir);
  }
}
