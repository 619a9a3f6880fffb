#include "alerts/state_store.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/test_paths.hpp"
#include "tests/alerts/alert_fixtures.hpp"

using namespace visionwatch;
namespace fs = std::filesystem;

namespace {
using test::t0;

void write(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}
}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("sections round-trip through the state file") {
    const auto dir = test::make_temp_dir("vw-state");
    state_store s(dir / "nested");
    s.set_section("alerts", {{"vision-a", {{"rules", nlohmann::json::array()}}}});
    s.set_section("baselines", {{"vision-a", 159}});
    REQUIRE(s.save(t0).empty());
    CHECK(names_in(dir / "nested") == std::vector<std::string>{"state.json"});  // no temp left

    state_store loaded(dir / "nested");
    const auto report = loaded.load(t0);
    CHECK(report.found);
    CHECK(report.error.empty());
    CHECK(loaded.section("baselines")["vision-a"] == 159);
    CHECK(loaded.section("alerts").contains("vision-a"));
    CHECK(loaded.section("missing").is_null());
    fs::remove_all(dir);
  }

  TEST_CASE("the file is written byte for byte as the dump of one document") {
    // save() streams each section's text; the file must read exactly as the one-tree dump
    // it replaces: keys in order, no spaces, invalid UTF-8 replaced, numbers as dump writes them.
    const auto dir = test::make_temp_dir("vw-state");
    state_store s(dir);
    const nlohmann::json alerts = {{"routes", {{"z", 1}, {"a", {1.5, -0.0, 1e300}}}},
                                   {"silences", nlohmann::json::array()}};
    const nlohmann::json odd = {{"name", std::string("bad \xff utf8 \"quoted\"\n")}, {"\u00e9", true}};
    const std::string baselines_text = R"({"r1":{"at":1,"prompt_tokens":2}})";
    s.set_section("alerts", alerts);
    s.set_section("odd", odd);
    s.set_section_text("baselines", baselines_text);
    s.set_section("b\"quoted", nullptr);
    REQUIRE(s.save(t0).empty());
    const nlohmann::json doc = {
        {"version", state_store::format_version},
        {"saved_at", "2027-01-15T08:00:00.000Z"},
        {"sections",
         {{"alerts", alerts},
          {"odd", odd},
          {"baselines", nlohmann::json::parse(baselines_text)},
          {"b\"quoted", nullptr}}}};
    CHECK(test::read_file(dir / "state.json") ==
          doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    // What the store keeps is the text; a section reads back as the value it was set to.
    CHECK(s.sections().at("baselines") == baselines_text);
    CHECK(s.section("alerts") == alerts);
    CHECK(s.section("baselines")["r1"]["prompt_tokens"] == 2);

    state_store empty(dir / "empty");
    REQUIRE(empty.save(t0).empty());
    CHECK(test::read_file(dir / "empty" / "state.json") ==
          R"({"saved_at":"2027-01-15T08:00:00.000Z","sections":{},"version":1})");
    fs::remove_all(dir);
  }

  TEST_CASE("a missing state file is a clean start and not an error") {
    const auto dir = test::make_temp_dir("vw-state");
    state_store s(dir);
    const auto report = s.load(t0);
    CHECK_FALSE(report.found);
    CHECK(report.error.empty());
    CHECK(s.sections().empty());
    fs::remove_all(dir);
  }

  TEST_CASE("saving replaces the file whole and ignores a temp file left by a crash") {
    const auto dir = test::make_temp_dir("vw-state");
    state_store s(dir);
    s.set_section("a", 1);
    REQUIRE(s.save(t0).empty());
    write(dir / "state.json.tmp", "{\"torn");  // a write interrupted before its rename
    state_store before(dir);
    CHECK(before.load(t0).error.empty());
    CHECK(before.section("a") == 1);
    s.set_section("a", 2);
    s.remove_section("b");
    REQUIRE(s.save(t0).empty());
    CHECK(names_in(dir) == std::vector<std::string>{"state.json"});
    state_store after(dir);
    CHECK(after.load(t0).error.empty());
    CHECK(after.section("a") == 2);
    const auto doc = nlohmann::json::parse(test::read_file(dir / "state.json"));
    CHECK(doc["version"] == 1);
    CHECK(doc["saved_at"] == "2027-01-15T08:00:00.000Z");
    fs::remove_all(dir);
  }

  TEST_CASE("a corrupt state file is set aside with a timestamped name and loading starts clean") {
    const auto dir = test::make_temp_dir("vw-state");
    for (const std::string bad : {R"({"version": 1, "sections": {"a": )",
                                  "[1, 2]",
                                  R"({"version": 99, "sections": {}})",
                                  "\xff\xfe garbage"}) {
      CAPTURE(bad);
      write(dir / "state.json", bad);
      state_store s(dir);
      s.set_section("stale", true);
      const auto report = s.load(t0);
      CHECK(report.found);
      CHECK_FALSE(report.error.empty());
      CHECK(report.error.find("moved to") != std::string::npos);
      REQUIRE(report.moved_to.has_value());
      CHECK(report.moved_to->filename() == "state.json.corrupt-20270115T080000Z");
      CHECK(test::read_file(*report.moved_to) == bad);
      CHECK_FALSE(fs::exists(dir / "state.json"));
      CHECK(s.sections().empty());
      // The clean state saves normally afterwards.
      s.set_section("fresh", 1);
      CHECK(s.save(t0).empty());
      fs::remove(*report.moved_to);
    }
    fs::remove_all(dir);
  }

  TEST_CASE("an unwritable state directory is reported and not thrown") {
    const auto dir = test::make_temp_dir("vw-state");
    write(dir / "file", "x");
    state_store s(dir / "file" / "sub");  // a path below a regular file cannot be created
    s.set_section("a", 1);
    const auto error = s.save(t0);
    CHECK_FALSE(error.empty());
    CHECK(error.find("state directory") != std::string::npos);
    fs::remove_all(dir);
  }
}
