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

  TEST_CASE("admin_hosts is a list of host names with an optional port") {
    const auto c = parse_ok(
        "global: {admin_hosts: [visionwatch.internal, \"monitor.example:8443\", 10.0.0.5, "
        "\"[fd00::1]:9464\"]}\n" +
        base);
    CHECK(c.global.admin_hosts ==
          std::vector<std::string>{
              "visionwatch.internal", "monitor.example:8443", "10.0.0.5", "[fd00::1]:9464"});
    CHECK(parse_ok(base).global.admin_hosts.empty());
  }

  TEST_CASE("admin_hosts entries that are not host names are rejected with a clear error") {
    const std::string hint =
        " is not a host name with an optional :port (e.g. visionwatch.internal or "
        "monitor.example:8443)";
    CHECK(errors_of("global: {admin_hosts: [ok.example, \"evil host\", \"http://x.example\", "
                    "\"x.example:0\", \"*.example\", \"::1\", \"\"]}\n" +
                    base) ==
          std::vector<std::string>{
              "config.yaml:1: global.admin_hosts[1]: \"evil host\"" + hint,
              "config.yaml:1: global.admin_hosts[2]: \"http://x.example\"" + hint,
              "config.yaml:1: global.admin_hosts[3]: \"x.example:0\"" + hint,
              "config.yaml:1: global.admin_hosts[4]: \"*.example\"" + hint,
              "config.yaml:1: global.admin_hosts[5]: \"::1\"" + hint,
              "config.yaml:1: global.admin_hosts[6]: must not be empty",
          });
    CHECK(errors_of("global: {admin_hosts: visionwatch.internal}\n" + base) ==
          std::vector<std::string>{
              "config.yaml:1: global.admin_hosts: expected a list, got a single value"});
  }
}
