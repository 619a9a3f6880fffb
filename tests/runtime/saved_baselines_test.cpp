// The state file's "baselines" section (daemon/runtime/saved_baselines.*): written as text one
// route at a time, read back at start-up.
#include "daemon/runtime/saved_baselines.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

using nlohmann::json;
using namespace visionwatch;

namespace {
wall_time at_second(long long s) { return wall_time(std::chrono::seconds(s)); }
}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the baselines section text is the dump of the tree it replaces") {
    // The text is rendered route by route (no tree of every route); the file must read the same
    // as the tree's dump did, including names that need escaping or hold invalid UTF-8.
    saved_baselines b;
    b["vision-b"] = {{request_form::plain, 159, at_second(1'800'000'000)}};
    b["vision-a"] = {{request_form::history, 310, at_second(1'800'000'060)},
                     {request_form::plain, 150, at_second(1'800'000'000)},
                     {request_form::system, 170, at_second(1'800'000'120)}};
    b["forms-only"] = {{request_form::tools, 220, at_second(1'800'000'180)}};
    b[std::string("quote\"\\\n\xff")] = {{request_form::plain, 1, at_second(0)}};
    json tree = json::object();  // the save before: one tree, dumped whole
    for (const auto& [route, list] : b) {
      json entry = json::object();
      for (const auto& v : list) {
        json e = {{"prompt_tokens", v.prompt_tokens},
                  {"at", std::chrono::duration_cast<std::chrono::seconds>(
                             v.at.time_since_epoch())
                             .count()}};
        if (v.form == request_form::plain) {
          entry.update(e);
        } else {
          entry["forms"][std::string(to_string(v.form))] = e;
        }
      }
      tree[route] = entry;
    }
    const auto text = baselines_json_text(b);
    CHECK(text == tree.dump(-1, ' ', false, json::error_handler_t::replace));
    CHECK(text.find(R"("vision-a":{"at":1800000000,"forms":{"history":{"at":1800000060,)") !=
          std::string::npos);
    CHECK(baselines_json_text({}) == "{}");
  }

  TEST_CASE("saved baselines read back as they were written and malformed entries are skipped") {
    saved_baselines b;
    b["r1"] = {{request_form::plain, 150, at_second(1'800'000'000)},
               {request_form::system, 170, at_second(1'800'000'120)},
               {request_form::history, 310, at_second(1'800'000'060)}};
    b["r2"] = {{request_form::tools, 220, at_second(1'800'000'180)}};
    const auto back = read_saved_baselines(json::parse(baselines_json_text(b)));
    REQUIRE(back.size() == 2);
    REQUIRE(back.at("r1").size() == 3);
    for (const auto& want : b.at("r1")) {
      CAPTURE(to_string(want.form));
      bool found = false;
      for (const auto& got : back.at("r1")) {
        if (got.form == want.form) {
          found = true;
          CHECK(got.prompt_tokens == want.prompt_tokens);
          CHECK(got.at == want.at);
        }
      }
      CHECK(found);
    }
    REQUIRE(back.at("r2").size() == 1);
    CHECK(back.at("r2")[0].form == request_form::tools);
    CHECK(back.at("r2")[0].prompt_tokens == 220);

    const auto odd = read_saved_baselines(json::parse(R"({
      "not-an-object": 5,
      "no-at": {"prompt_tokens": 9},
      "float-tokens": {"prompt_tokens": 1.5, "at": 1},
      "good-form-only": {"forms": {"tools": {"prompt_tokens": 3, "at": 4}, "bogus": {"prompt_tokens": 1, "at": 1}}}
    })"));
    CHECK(odd.size() == 1);
    REQUIRE(odd.count("good-form-only") == 1);
    CHECK(odd.at("good-form-only").size() == 1);
    CHECK(read_saved_baselines(json::array()).empty());
    CHECK(read_saved_baselines(nullptr).empty());
  }
}
