// End to end: `check` against the sim's image-breaking behaviours (model vision-<behaviour>)
// fails each route for its one broken image shape and passes plain; a healthy route passes
// every image shape.
#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/config/exit_codes.hpp"
#include "daemon/sim/demo.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/shape_check_support.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_paths.hpp"

namespace shapes_formats_test {

using namespace visionwatch::e2e_test_names;

TEST_SUITE("e2e") {
  TEST_CASE("check fails each route for its one broken image shape and passes the others") {
    // Each route's model breaks one image format; the last one reads every format.
    const std::vector<vt::shape_route> routes = {
        {"jpeg-empty", "sim", "vision-empty-reply-for-jpeg", "[plain, jpeg]", "jpeg"},
        {"webp-empty", "sim", "vision-empty-reply-for-webp", "[plain, webp]", "webp"},
        {"gif-empty", "sim", "vision-empty-reply-for-gif", "[plain, gif]", "gif"},
        {"flattened", "sim", "vision-flattens-transparency", "[plain, rgba]", "rgba"},
        {"downscaled", "sim", "vision-downscales-heavily", "[plain, large]", "large"},
        {"every-format", "sim", "vision-healthy", "[plain, jpeg, webp, gif, rgba, large]", ""},
    };
    const vt::started_demo_gateway gw;
    const auto dir = vt::make_temp_dir("vw-e2e-shapes-formats");
    const std::string y =
        "defaults:\n  interval: 30s\n  timeout: 20s\n  challenge: {kind: digits}\n"
        "gateways:\n  - {name: sim, base_url: \"" +
        gw.base_url() + "\", proxy_url: none, max_concurrency: 8}\n" +
        vt::shape_routes_yaml(routes);
    vt::write_text(dir / "config.yaml", y);
    vt::check_each_fails_only_its_shape(dir / "config.yaml", routes, 2, "20261203", 300s);
    fs::remove_all(dir);
  }
}

}  // namespace shapes_formats_test
