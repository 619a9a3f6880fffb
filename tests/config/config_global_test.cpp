#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "tests/config/config_test_support.hpp"

using namespace visionwatch;
using namespace visionwatch::config_testing;

TEST_SUITE("unit") {
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
}
