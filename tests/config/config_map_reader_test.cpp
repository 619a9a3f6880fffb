// map_reader against its field table: the table is the allow-list and gives the bounds; a read
// of a key as another type than the table's is a bug; keys nobody looks up can be collected.
#include "daemon/config/config_map_reader.hpp"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "daemon/config/config_fields.hpp"
#include "tests/config/config_test_support.hpp"

namespace {

namespace cf = visionwatch::config_fields;
using namespace visionwatch;
using config_reading::config_reader;
using config_reading::map_reader;

const cf::table& sample_table() {
  static const cf::table t{
      "sample",
      "",
      {cf::integer("count", 1, 10, ""), cf::duration("every", ""), cf::text("token_env", "")}};
  return t;
}

/// `yaml` read through sample_table(): the "count" it gave (`count` when none) and the errors.
struct count_read {
  int count = 0;
  std::vector<std::string> errors;
};

count_read read_count(const char* yaml, int count) {
  config_reader reader("c.yaml", "", config_testing::no_env);
  {
    const map_reader m(reader, YAML::Load(yaml), "s", sample_table());
    m.read_integer("count", count);
  }
  count_read out{count, {}};
  for (const auto& e : reader.take_errors()) {
    out.errors.push_back(e.to_string());
  }
  return out;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("map_reader accepts its table's keys and names the closest one for another") {
    const auto r = read_count("count: 3\ncuont: 4\ntoken: x\n", 0);
    CHECK(r.count == 3);
    CHECK(r.errors ==
          std::vector<std::string>{
              "c.yaml:2: s.cuont: unknown key (did you mean count?)",
              "c.yaml:3: s.token: unknown key (secrets are read from token_env, token_file or "
              "token_credential)"});
  }

  TEST_CASE("map_reader takes integer bounds from its table") {
    const auto r = read_count("count: 11\n", 5);
    CHECK(r.count == 5);
    CHECK(r.errors ==
          std::vector<std::string>{"c.yaml:1: s.count: \"11\" is out of range (1..10)"});
  }

  TEST_CASE("reading a key as another type than its table's throws a logic error") {
    config_reader reader("c.yaml", "", config_testing::no_env);
    const auto root = YAML::Load("count: 3\nevery: 5s\n");
    const map_reader m(reader, root, "s", sample_table());
    std::chrono::milliseconds every{0};
    CHECK_THROWS_AS(m.read_duration("count", every), std::logic_error);
    CHECK_NOTHROW(m.read_duration("every", every));
    CHECK(every == std::chrono::seconds(5));
  }

  TEST_CASE("keys accepted but never looked up are collected when asked") {
    config_reader reader("c.yaml", "", config_testing::no_env);
    std::vector<std::string> unread;
    reader.collect_unread(&unread);
    const auto root = YAML::Load("count: 3\nevery: 5s\n");
    {
      const map_reader m(reader, root, "s", sample_table());
      CHECK(m.has("count"));
    }
    CHECK(unread == std::vector<std::string>{"s.every"});
  }
}
