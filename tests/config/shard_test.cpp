#include "daemon/config/shard.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "tests/config/config_test_support.hpp"

using namespace visionwatch;
using namespace visionwatch::config_testing;

namespace {

/// 10,000 route names shaped like real ones: team, model, gateway, a number.
std::vector<std::string> route_names() {
  static constexpr std::array<const char*, 4> models = {
      "gpt-4o-mini", "claude-sonnet", "gemini-flash", "llava"};
  static constexpr std::array<const char*, 5> gateways = {
      "openai", "litellm-eu", "bedrock", "vertex", "azure"};
  std::vector<std::string> out;
  out.reserve(10'000);
  for (std::size_t i = 0; i < 10'000; ++i) {
    out.push_back("team-" + std::to_string(i % 37) + "/" + models[i % models.size()] + "@" +
                  gateways[i % gateways.size()] + "-" + std::to_string(i));
  }
  return out;
}

std::string parse_error(std::string_view text) {
  std::string error;
  CHECK_FALSE(parse_shard(text, error).has_value());
  return error;
}

std::string routes_yaml(const std::vector<std::string>& names) {
  std::string y =
      "gateways:\n  - {name: gw, base_url: \"https://gw.example/v1\", proxy_url: none}\nroutes:\n";
  for (const auto& n : names) {
    y += "  - {name: " + n + ", gateway: gw, model: m}\n";
  }
  return y;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the shard weight is FNV-1a 64 seeding SplitMix64 with their published values") {
    CHECK(fnv1a64("") == 0xcbf29ce484222325ULL);
    CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
    CHECK(fnv1a64("foobar") == 0x85944171f73967e8ULL);
    // The reference SplitMix64 started at 0 (Vigna's splitmix64.c).
    CHECK(splitmix64(0, 1) == 0xe220a8397b1dcdafULL);
    CHECK(splitmix64(0, 2) == 0x6e789e6aa1b965f4ULL);
    CHECK(splitmix64(0, 3) == 0x06c45d188009454fULL);
    CHECK(shard_weight("vision-a", 1) == 0x92a5fdc8e304a822ULL);
  }

  TEST_CASE("owners are pinned: every host and release puts a route on the same shard") {
    // Computed by an independent implementation (docs/scaling.md has it in Python).
    const std::map<std::string, std::vector<std::uint32_t>> pinned = {
        {"gpt-4o-mini", {2, 2, 5, 5}},
        {"claude-sonnet/eu", {2, 2, 2, 8}},
        {"gemini-flash@vertex", {2, 3, 3, 6}},
        {"vision-a", {1, 3, 3, 10}},
        {"route-0", {1, 1, 1, 1}},
        {"caf\xC3\xA9-ocr", {1, 1, 4, 4}},
    };
    for (const auto& [name, owners] : pinned) {
      CAPTURE(name);
      CHECK(shard_owner(name, 2) == owners[0]);
      CHECK(shard_owner(name, 3) == owners[1]);
      CHECK(shard_owner(name, 5) == owners[2]);
      CHECK(shard_owner(name, 10) == owners[3]);
      CHECK(shard_owner(name, 1) == 1);
      CHECK(shard_owner(name, 0) == 1);
    }
  }

  TEST_CASE("each of n shards owns about 1 in n of 10000 routes") {
    const auto names = route_names();
    for (const std::uint32_t n : {2U, 3U, 4U, 5U, 7U, 10U, 16U}) {
      CAPTURE(n);
      std::vector<std::size_t> counts(n + 1, 0);
      for (const auto& name : names) {
        const auto owner = shard_owner(name, n);
        REQUIRE(owner >= 1);
        REQUIRE(owner <= n);
        ++counts[owner];
      }
      const double expected = static_cast<double>(names.size()) / n;
      for (std::uint32_t j = 1; j <= n; ++j) {
        CAPTURE(j);
        // A fair split deviates by sqrt(N p (1-p)): under 50 routes here; 12 % is over 5 times
        // that for every n, and far less than a skewed hash would show.
        CHECK(std::abs(static_cast<double>(counts[j]) - expected) < 0.12 * expected);
      }
    }
  }

  TEST_CASE("going from n to n+1 shards moves about 1 in n+1 routes and only to the new shard") {
    const auto names = route_names();
    for (std::uint32_t n = 1; n <= 12; ++n) {
      CAPTURE(n);
      std::size_t moved = 0;
      std::size_t elsewhere = 0;
      for (const auto& name : names) {
        const auto before = shard_owner(name, n);
        const auto after = shard_owner(name, n + 1);
        if (before != after) {
          ++moved;
          elsewhere += after == n + 1 ? 0 : 1;
        }
      }
      const double fraction = static_cast<double>(moved) / static_cast<double>(names.size());
      CAPTURE(fraction);
      CHECK(std::abs(fraction - 1.0 / (n + 1)) < 0.02);
      CHECK(elsewhere == 0);
    }
  }

  TEST_CASE("a shard is i/n with 1 <= i <= n and the error says what is wrong") {
    std::string error;
    CHECK(parse_shard("1/1", error) == shard_spec{1, 1});
    CHECK(parse_shard("2/3", error) == shard_spec{2, 3});
    CHECK(parse_shard("1000/1000", error) == shard_spec{1000, 1000});
    CHECK(to_string(shard_spec{2, 3}) == "2/3");
    CHECK(parse_error("0/3") == "\"0/3\": the shard number must be between 1 and 3");
    CHECK(parse_error("4/3") == "\"4/3\": the shard number must be between 1 and 3");
    CHECK(parse_error("1/0") == "\"1/0\": the number of shards must be between 1 and 1000");
    CHECK(parse_error("1/1001") == "\"1/1001\": the number of shards must be between 1 and 1000");
    for (const char* bad : {"",
                            "3",
                            "/",
                            "1/",
                            "/3",
                            "a/b",
                            "-1/3",
                            "+1/3",
                            " 1/3",
                            "1/3 ",
                            "1/3/4",
                            "1.5/3",
                            "99999999999/3"}) {
      CAPTURE(bad);
      CHECK(parse_error(bad) == "\"" + std::string(bad) +
                                    "\" is not a shard i/n (e.g. 2/3: the second of three shards)");
    }
  }

  TEST_CASE("the shards of a configuration split its routes: each route on exactly one") {
    std::vector<std::string> names;
    names.reserve(30);
    for (int i = 0; i < 30; ++i) {
      names.push_back("r" + std::to_string(i));
    }
    const auto all = parse_ok(routes_yaml(names));
    CHECK(all.global.shard == shard_spec{1, 1});
    CHECK(select_shard(all, std::nullopt).routes.size() == 30);
    std::multiset<std::string> seen;
    for (std::uint32_t i = 1; i <= 3; ++i) {
      const auto part = select_shard(all, shard_spec{i, 3});
      CHECK(part.global.shard == shard_spec{i, 3});
      CHECK_FALSE(part.routes.empty());
      for (const auto& r : part.routes) {
        CHECK(shard_owner(r.name, 3) == i);
        seen.insert(r.name);
      }
    }
    CHECK(seen == std::multiset<std::string>(names.begin(), names.end()));
  }

  TEST_CASE("global.shard is read from the file and the command line overrides it") {
    const auto c = parse_ok("global: {shard: \"2/3\"}\n" + routes_yaml({"a", "b", "c", "d"}));
    CHECK(c.global.shard == shard_spec{2, 3});
    CHECK(c.routes.size() == 4);  // selection happens where the routes are used
    const auto from_file = select_shard(c, std::nullopt);
    CHECK(from_file.global.shard == shard_spec{2, 3});
    const auto from_flag = select_shard(c, shard_spec{1, 1});
    CHECK(from_flag.global.shard == shard_spec{1, 1});
    CHECK(from_flag.routes.size() == 4);
  }

  TEST_CASE("a bad global.shard is an error with the file and line") {
    const auto routes = routes_yaml({"a"});
    CHECK(errors_of("global:\n  shard: \"0/3\"\n" + routes) ==
          std::vector<std::string>{"config.yaml:2: global.shard: \"0/3\": the shard number must "
                                   "be between 1 and 3"});
    CHECK(errors_of("global:\n  listen: \"127.0.0.1:9464\"\n  shard: 3\n" + routes) ==
          std::vector<std::string>{"config.yaml:3: global.shard: \"3\" is not a shard i/n (e.g. "
                                   "2/3: the second of three shards)"});
    CHECK(errors_of("global: {shard: \"4/3\"}\n" + routes) ==
          std::vector<std::string>{"config.yaml:1: global.shard: \"4/3\": the shard number must "
                                   "be between 1 and 3"});
  }

  TEST_CASE("replica labels stay on series but leave the alert labels") {
    const auto routes = routes_yaml({"a"});
    const auto c = parse_ok(
        "global: {external_labels: {team: vision, region: eu-west-1, replica: a}}\n" + routes);
    CHECK(c.global.replica_labels == std::vector<std::string>{"replica"});
    CHECK(c.global.external_labels.size() == 3);
    CHECK(c.global.alert_labels() ==
          std::map<std::string, std::string>{{"team", "vision"}, {"region", "eu-west-1"}});
    const auto by_region = parse_ok(
        "global: {external_labels: {team: vision, region: eu-west-1}, replica_labels: [region]}\n" +
        routes);
    CHECK(by_region.global.alert_labels() ==
          std::map<std::string, std::string>{{"team", "vision"}});
    const auto none =
        parse_ok("global: {external_labels: {replica: a}, replica_labels: []}\n" + routes);
    CHECK(none.global.alert_labels() == std::map<std::string, std::string>{{"replica", "a"}});
    CHECK(errors_of("global: {replica_labels: [ok, 1x, __r]}\n" + routes) ==
          std::vector<std::string>{
              "config.yaml:1: global.replica_labels[1]: \"1x\" is not a valid label name "
              "([a-zA-Z_][a-zA-Z0-9_]*, no __ prefix)",
              "config.yaml:1: global.replica_labels[2]: \"__r\" is not a valid label name "
              "([a-zA-Z_][a-zA-Z0-9_]*, no __ prefix)"});
  }

  TEST_CASE("shard and shards are labels visionwatch sets itself") {
    CHECK(errors_of("global: {external_labels: {shard: \"1/2\", shards: \"2\"}}\n" +
                    routes_yaml({"a"})) ==
          std::vector<std::string>{
              "config.yaml:1: global.external_labels.shard: \"shard\" is a label visionwatch sets "
              "itself",
              "config.yaml:1: global.external_labels.shards: \"shards\" is a label visionwatch "
              "sets itself"});
  }
}
