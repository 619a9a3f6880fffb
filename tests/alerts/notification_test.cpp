#include "alerts/notification.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/alerts/alert_fixtures.hpp"
#include "tests/support/test_paths.hpp"

using namespace visionwatch;
using namespace std::chrono_literals;

namespace {
using test::t0;
}

TEST_SUITE("unit") {
  TEST_CASE("the fingerprint comes from the route and rule and external labels only") {
    const std::map<std::string, std::string> labels = {{"region", "eu"}, {"replica", "x"}};
    const auto a = make_fingerprint("vision-a", alert_rule_kind::route_down, labels);
    CHECK(a == make_fingerprint("vision-a", alert_rule_kind::route_down, labels));
    CHECK(a.size() == 32);
    CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(a != make_fingerprint("vision-b", alert_rule_kind::route_down, labels));
    CHECK(a != make_fingerprint("vision-a", alert_rule_kind::silent_failure, labels));
    CHECK(a != make_fingerprint("vision-a", alert_rule_kind::route_down, {{"region", "us"}}));
    CHECK(a != make_fingerprint("vision-a", alert_rule_kind::route_down));
    // Label boundaries cannot be shifted to forge another identity.
    CHECK(make_fingerprint("r", alert_rule_kind::cost, {{"a", "bc"}}) !=
          make_fingerprint("r", alert_rule_kind::cost, {{"ab", "c"}}));
  }

  TEST_CASE("excerpts are cut on UTF-8 boundaries and stay valid UTF-8") {
    // A real reply from shared/fixtures/real-replies.json (Dify, Chinese: 3 bytes per character).
    const auto doc =
        nlohmann::json::parse(test::read_file(test::fixtures_dir() / "real-replies.json"));
    const auto reply = doc.at("silent_failures").at(2).at("reply").get<std::string>();
    REQUIRE(reply.size() > 8);
    CHECK(truncate_utf8(reply, 8) == reply.substr(0, 6));
    CHECK(truncate_utf8(reply, 9) == reply.substr(0, 9));
    CHECK(truncate_utf8(reply, 1000) == reply);
    CHECK(truncate_utf8("ab\xff"
                        "cd",
                        10) == "ab?cd");
    CHECK(truncate_utf8("\xe6\x88", 10) == "??");  // a cut-off sequence
  }

  TEST_CASE("a notification round-trips through its persistence form") {
    // The firing note (the largest seed included) turned into the resolve of a latency incident.
    auto n = test::firing_note();
    n.kind = notification_kind::resolved;
    n.rule = alert_rule_kind::latency;
    n.reason = "p90 latency 25s above 20s over 100 probes";
    n.value = 25;
    n.ends_at = t0 + 1h;
    n.fingerprint = make_fingerprint(n.route, n.rule);
    n.receivers = {"pager"};
    REQUIRE(n.last_failure.has_value());
    auto& p = *n.last_failure;
    p.result = outcome::timeout;
    p.tokens = {};
    p.tokens.prompt_tokens = 159;
    p.started_at = t0 - 1s;
    const auto back = nlohmann::json::parse(nlohmann::json(n).dump()).get<notification>();
    CHECK(back.kind == n.kind);
    CHECK(back.rule == n.rule);
    CHECK(back.reason == n.reason);
    CHECK(back.value == 25);
    CHECK(back.ends_at == n.ends_at);
    CHECK(back.fingerprint == n.fingerprint);
    CHECK(back.receivers == n.receivers);
    REQUIRE(back.last_failure.has_value());
    CHECK(back.last_failure->result == outcome::timeout);
    CHECK(back.last_failure->seed == p.seed);
    CHECK(back.last_failure->tokens.prompt_tokens == 159);
    CHECK_FALSE(back.last_failure->tokens.completion_tokens.has_value());
    CHECK(back.last_failure->started_at == p.started_at);

    auto j = nlohmann::json(n);
    j["version"] = "2";
    CHECK_THROWS(j.get<notification>());
  }
}
