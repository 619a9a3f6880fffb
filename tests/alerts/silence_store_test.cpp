#include "alerts/silence_store.hpp"

#include <doctest/doctest.h>

#include <limits>
#include <set>

#include "tests/alerts/alert_fixtures.hpp"

using namespace visionwatch;
using namespace std::chrono_literals;

namespace {
using test::t0;
}

TEST_SUITE("unit") {
  TEST_CASE("a silence covers its route until it expires") {
    silence_store s;
    const auto r = s.add("vision-a", t0 + 1h, "gateway maintenance", t0);
    REQUIRE(r.value.has_value());
    CHECK(r.value->id == "sil-1");
    CHECK(r.value->comment == "gateway maintenance");
    CHECK(s.is_silenced("vision-a", t0));
    CHECK(s.is_silenced("vision-a", t0 + 59min));
    CHECK_FALSE(s.is_silenced("vision-a", t0 + 1h));
    CHECK_FALSE(s.is_silenced("vision-b", t0));
    CHECK(s.list().size() == 1);
    CHECK(s.expire(t0 + 30min) == 0);
    CHECK(s.expire(t0 + 1h) == 1);
    CHECK(s.list().empty());
  }

  TEST_CASE("a star silence covers every route") {
    silence_store s;
    REQUIRE(s.add("*", t0 + 1h, "", t0).value);
    CHECK(s.is_silenced("anything", t0));
  }

  TEST_CASE("silences get distinct ids and can be removed by id") {
    silence_store s;
    const auto a = s.add("a", t0 + 1h, "", t0).value->id;
    const auto b = s.add("b", t0 + 1h, "", t0).value->id;
    CHECK(a != b);
    CHECK(s.remove(a));
    CHECK_FALSE(s.remove(a));
    CHECK_FALSE(s.is_silenced("a", t0));
    CHECK(s.is_silenced("b", t0));
  }

  TEST_CASE("bad silences are refused with a reason") {
    silence_store s;
    CHECK(s.add("", t0 + 1h, "", t0).error.find("needs a route") != std::string::npos);
    CHECK(s.add("a", t0, "", t0).error.find("future") != std::string::npos);
    CHECK(s.add("a", t0 + 1h, std::string(2000, 'x'), t0).error.find("1000 bytes") !=
          std::string::npos);
    CHECK(s.list().empty());
  }

  TEST_CASE("a config reload replaces config silences and keeps API ones") {
    silence_store s;
    s.add("api-route", t0 + 1h, "from the API", t0);
    std::vector<silence_config> cfg = {{"cfg-route", t0 + 2h, "from config"},
                                       {"old-route", t0 - 1h, "expired"}};
    const auto problems = s.replace_config_silences(cfg, t0);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].find("old-route") != std::string::npos);
    CHECK(s.is_silenced("cfg-route", t0));
    CHECK(s.is_silenced("api-route", t0));
    s.replace_config_silences({}, t0);
    CHECK_FALSE(s.is_silenced("cfg-route", t0));
    CHECK(s.is_silenced("api-route", t0));
  }

  TEST_CASE("silences survive a restart through JSON and ids stay unique") {
    silence_store s;
    s.add("a", t0 + 1h, "comment", t0);
    s.add("b", t0 + 2h, "", t0, silence_source::config);
    silence_store restored;
    REQUIRE(restored.restore(nlohmann::json::parse(s.to_json().dump())).empty());
    REQUIRE(restored.list().size() == 2);
    CHECK(restored.list()[0].comment == "comment");
    CHECK(restored.list()[0].until == t0 + 1h);
    CHECK(restored.list()[1].source == silence_source::config);
    CHECK(restored.add("c", t0 + 1h, "", t0).value->id == "sil-3");
    CHECK_FALSE(
        restored.restore(nlohmann::json{{"next_id", 1}, {"silences", {{{"id", 3}}}}}).empty());
    CHECK(restored.list().empty());
  }

  TEST_CASE("a silence longer than a year is refused with a clear message") {
    silence_store s;
    CHECK(s.add("a", t0 + 24h * 365 * 100, "", t0).error ==
          "a silence may last at most 365 days");
    CHECK(s.add("a", t0 + silence_store::max_duration, "", t0).value.has_value());
    // The cap is for the API: a silence written in the config file is taken as written.
    CHECK(s.replace_config_silences({{"b", t0 + 24h * 365 * 100, "decommissioned"}}, t0).empty());
    CHECK(s.is_silenced("b", t0 + 24h * 365 * 50));
  }

  TEST_CASE("a state file with a far future silence is clamped instead of overflowing") {
    silence_store restored;
    const nlohmann::json state = {
        {"next_id", 2},
        {"silences",
         {{{"id", "sil-1"},
           {"route", "a"},
           {"starts_at_ms", 0},
           {"until_ms", std::numeric_limits<std::int64_t>::max()},
           {"comment", ""},
           {"source", "api"}}}}};
    const auto errors = restored.restore(state);
    INFO(errors);
    REQUIRE(restored.list().size() == 1);
    CHECK(restored.list()[0].until > t0);
    CHECK(restored.is_silenced("a", t0));
  }

  TEST_CASE("a restart takes config silences from the config and API silences from the file") {
    silence_store before;
    before.replace_config_silences({{"old-route", t0 + 10h, "from the old config"}}, t0);
    REQUIRE(before.add("api-route", t0 + 5h, "by hand", t0).value);
    const auto saved = nlohmann::json::parse(before.to_json().dump());

    // The order of a start-up: the saved store first, then today's config silences on top.
    silence_store after;
    CHECK(after.restore(saved).empty());
    after.replace_config_silences({{"new-route", t0 + 10h, "from the new config"}}, t0 + 1h);
    CHECK_FALSE(after.is_silenced("old-route", t0 + 2h));
    CHECK(after.is_silenced("new-route", t0 + 2h));
    CHECK(after.is_silenced("api-route", t0 + 2h));
    std::set<std::string> ids;
    for (const auto& s : after.list()) {
      CHECK(ids.insert(s.id).second);
    }
  }
}
