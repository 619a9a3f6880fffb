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
  TEST_CASE("receivers: unique names and what each type requires") {
    CHECK(errors_of(base +
                    "receivers:\n"                                                      // 8
                    "  - {name: a, type: webhook}\n"                                    // 9
                    "  - {name: a, type: slack, url: \"https://s/\", secret_env: X}\n"  // 10
                    "  - {name: pd, type: pagerduty}\n"                                 // 11
                    "  - {name: w, type: webhook, url: \"https://w/\", resend_interval: 1m}\n") ==
          std::vector<std::string>{
              ("config.yaml:9: receivers[0]: webhook receivers need url (or url_env, url_file, "
               "url_credential)"),
              "config.yaml:10: receivers[1].name: receiver \"a\" is already defined at line 9",
              "config.yaml:10: receivers[1].secret_env: environment variable X is not set",
              "config.yaml:10: receivers[1].secret_env: slack receivers take no secret",
              ("config.yaml:11: receivers[2]: pagerduty receivers need the routing key as "
               "secret_env, secret_file or secret_credential"),
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
}
