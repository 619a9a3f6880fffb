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

namespace {

namespace fs = std::filesystem;
namespace vt = visionwatch::test;
using namespace std::chrono_literals;
using nlohmann::json;

struct format_route {
  std::string name;
  std::string model;
  std::string shapes;
  std::string broken;  ///< the one shape that must fail; empty: every shape passes
};

const std::vector<format_route>& routes() {
  static const std::vector<format_route> r = {
      {"jpeg-empty", "vision-empty-reply-for-jpeg", "[plain, jpeg]", "jpeg"},
      {"webp-empty", "vision-empty-reply-for-webp", "[plain, webp]", "webp"},
      {"gif-empty", "vision-empty-reply-for-gif", "[plain, gif]", "gif"},
      {"flattened", "vision-flattens-transparency", "[plain, rgba]", "rgba"},
      {"downscaled", "vision-downscales-heavily", "[plain, large]", "large"},
      {"every-format", "vision-healthy", "[plain, jpeg, webp, gif, rgba, large]", ""},
  };
  return r;
}

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE("check fails each route for its one broken image shape and passes the others") {
    const vt::started_demo_gateway gw;
    const auto dir = vt::make_temp_dir("vw-e2e-shapes-formats");
    std::string y =
        "defaults:\n  interval: 30s\n  timeout: 20s\n  challenge: {kind: digits}\n"
        "gateways:\n  - {name: sim, base_url: \"" +
        gw.base_url() + "\", proxy_url: none, max_concurrency: 8}\nroutes:\n";
    for (const auto& r : routes()) {
      y += "  - {name: " + r.name + ", gateway: sim, model: " + r.model + ", shapes: " + r.shapes +
           "}\n";
    }
    vt::write_text(dir / "config.yaml", y);
    vt::check_each_fails_only_its_shape(dir / "config.yaml", routes(), 2, "20261203", 300s);
    fs::remove_all(dir);
  }
}
