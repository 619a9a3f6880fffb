#include "daemon/check/scorecard.hpp"

#include <doctest/doctest.h>

using namespace visionwatch;

namespace {
probe_result probe(outcome o,
                   double latency,
                   long long prompt,
                   long long completion,
                   double cost,
                   std::string reason = {}) {
  probe_result p;
  p.result = o;
  p.reason = std::move(reason);
  p.http_status = is_transport_error(o) ? 0 : (o == outcome::http_5xx ? 502 : 200);
  p.latency_seconds = latency;
  if (prompt >= 0) {
    p.tokens.prompt_tokens = prompt;
    p.tokens.completion_tokens = completion;
  }
  p.cost_usd = cost;
  return p;
}
}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("a route with every probe ok passes with full figures") {
    route_run run{"healthy", "gpt-4.1-mini", "gw", std::nullopt, {}, {}};
    run.control = probe(outcome::ok, 0.5, 25, 1, 0.0);
    run.probes = {probe(outcome::ok, 1.0, 180, 4, 0.0001),
                  probe(outcome::ok, 3.0, 180, 4, 0.0001),
                  probe(outcome::ok, 2.0, 180, 4, 0.0001)};
    const auto s = summarize(run, 1.0);
    CHECK(s.pass);
    CHECK(s.verdict == "PASS");
    CHECK(s.http_ok == 3);
    CHECK(s.correct == 3);
    CHECK(*s.latency_avg == doctest::Approx(2.0));
    CHECK(*s.latency_median == doctest::Approx(2.0));
    CHECK(*s.latency_min == doctest::Approx(1.0));
    CHECK(*s.latency_max == doctest::Approx(3.0));
    CHECK(*s.prompt_tokens_avg == doctest::Approx(180));
    CHECK(*s.baseline_prompt_tokens == 25);
    CHECK(*s.cost_per_10k == doctest::Approx(1.0));
  }

  TEST_CASE("no-image claims fail the route and are counted apart from other silent failures") {
    route_run run{"dropper", "gemini", "gw", std::nullopt, {}, {}};
    run.probes = {probe(outcome::no_image_claim, 1, 27, 10, 0, "reply says no image"),
                  probe(outcome::no_image_claim, 1, 27, 10, 0, "reply says no image"),
                  probe(outcome::wrong_answer, 1, 27, 10, 0, "answer '1' does not contain '7'")};
    const auto s = summarize(run, 1.0);
    CHECK_FALSE(s.pass);
    CHECK(s.http_ok == 3);
    CHECK(s.correct == 0);
    CHECK(s.no_image_claims == 2);
    CHECK(s.other_silent == 1);
    CHECK(s.verdict == "FAIL: 2/3 no_image_claim");
    REQUIRE(s.reasons.size() == 2);
    CHECK(s.reasons[0] == "reply says no image");
  }

  TEST_CASE("transport errors count as neither HTTP success nor latency samples") {
    route_run run{"down", "m", "gw", std::nullopt, {}, {}};
    run.probes = {probe(outcome::connect_error, 0.01, -1, 0, 0, "refused"),
                  probe(outcome::ok, 2.0, 100, 1, 0)};
    const auto s = summarize(run, 0.5);
    CHECK(s.pass);  // 1 of 2 ok meets min_success 0.5
    CHECK(s.http_ok == 1);
    CHECK(s.transport_errors == 1);
    CHECK(*s.latency_max == doctest::Approx(2.0));
    CHECK_FALSE(summarize(run, 1.0).pass);
  }

  TEST_CASE("the table has one column per route and the JSON carries every probe") {
    route_run a{"route-a", "m1", "gw", std::nullopt, {probe(outcome::ok, 1, 10, 1, 0)}, {}};
    route_run b{"route-b",
                "m2",
                "gw",
                std::nullopt,
                {probe(outcome::http_5xx, 1, -1, 0, 0, "HTTP 502")},
                {}};
    std::vector<route_summary> sums = {summarize(a, 1.0), summarize(b, 1.0)};
    const auto table = render_table(sums);
    CHECK(table.find("route-a") != std::string::npos);
    CHECK(table.find("route-b") != std::string::npos);
    CHECK(table.find("HTTP success") != std::string::npos);
    CHECK(table.find("FAIL: 1/1 http_5xx") != std::string::npos);
    CHECK(table.find("route-b: HTTP 502") != std::string::npos);
    const auto json = render_json(sums, {a, b});
    CHECK(json["passed"] == false);
    CHECK(json["routes"][1]["results"][0]["outcome"] == "http_5xx");
    CHECK(json["routes"][0]["results"][0]["seed"].is_string());
  }
  TEST_CASE(
      "model_mismatch counts as another silent failure and the hedged note reaches the JSON") {
    route_run run{"fallback", "gpt-4o", "gw", std::nullopt, {}, {}};
    auto hedged = probe(outcome::ok, 1, 180, 4, 0);
    hedged.note = probe_note::hedged;
    run.probes = {probe(outcome::model_mismatch,
                        1,
                        180,
                        4,
                        0,
                        "the reply names model 'gpt-4o-mini', not the route's model 'gpt-4o'"),
                  probe(outcome::model_mismatch,
                        1,
                        180,
                        4,
                        0,
                        "the reply names model 'gpt-4o-mini', not the route's model 'gpt-4o'"),
                  hedged};
    const auto s = summarize(run, 1.0);
    CHECK_FALSE(s.pass);
    CHECK(s.other_silent == 2);
    CHECK(s.no_image_claims == 0);
    CHECK(s.verdict == "FAIL: 2/3 model_mismatch");
    const auto j = render_json({s}, {run});
    const auto& results = j.at("routes").at(0).at("results");
    CHECK(results.at(0).at("note").is_null());
    CHECK(results.at(2).at("note") == "hedged");
    CHECK(j.at("routes").at(0).at("other_silent_failures") == 2);
  }
}

namespace {
probe_result shaped(probe_shape shape, outcome o, std::string reason = {}) {
  auto p = probe(o, 1, 100, 2, 0.0001, std::move(reason));
  p.shape = shape;
  return p;
}
}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("a route passing plain but failing tools fails - the verdict names only tools") {
    route_run run{"r", "m", "gw", std::nullopt, {}, {probe_shape::plain, probe_shape::tools}};
    for (int i = 0; i < 3; ++i) {
      run.probes.push_back(shaped(probe_shape::plain, outcome::ok));
      run.probes.push_back(
          shaped(probe_shape::tools, outcome::no_image_claim, "with tools: no image"));
    }
    const auto s = summarize(run, 1.0);
    CHECK_FALSE(s.pass);
    CHECK(s.verdict == "FAIL: fails only with tools: 3/3 no_image_claim");
    REQUIRE(s.shapes.size() == 2);
    CHECK(s.shapes[0].shape == probe_shape::plain);
    CHECK(s.shapes[0].pass);
    CHECK(s.shapes[0].verdict == "PASS");
    CHECK(s.shapes[0].probes == 3);
    CHECK(s.shapes[1].verdict == "FAIL: 3/3 no_image_claim");
    CHECK(s.shapes[1].reasons == std::vector<std::string>{"with tools: no image"});
    // min_success applies per shape: half the route's probes passing is not enough.
    CHECK_FALSE(summarize(run, 0.5).pass);
  }

  TEST_CASE("several failing shapes are each named - and all failing falls back to the total") {
    route_run run{"r",
                  "m",
                  "gw",
                  std::nullopt,
                  {shaped(probe_shape::plain, outcome::ok),
                   shaped(probe_shape::tools, outcome::no_image_claim),
                   shaped(probe_shape::jpeg, outcome::empty_answer)},
                  {probe_shape::plain, probe_shape::tools, probe_shape::jpeg}};
    CHECK(summarize(run, 1.0).verdict ==
          "FAIL: fails only with tools (1/1 no_image_claim), jpeg (1/1 empty_answer)");
    run.probes[0].result = outcome::http_5xx;
    CHECK(summarize(run, 1.0).verdict == "FAIL: 1/3 empty_answer");  // a tie: the first name
  }

  TEST_CASE("the table has a row per shape only when a route has more than plain") {
    route_run plain{
        "plain-only", "m", "gw", std::nullopt, {shaped(probe_shape::plain, outcome::ok)}, {}};
    const auto without = render_table({summarize(plain, 1.0)});
    CHECK(without.find("shape ") == std::string::npos);
    route_run both{"both",
                   "m",
                   "gw",
                   std::nullopt,
                   {shaped(probe_shape::plain, outcome::ok),
                    shaped(probe_shape::tools, outcome::refusal, "with tools: refused")},
                   {probe_shape::plain, probe_shape::tools}};
    const auto with = render_table({summarize(plain, 1.0), summarize(both, 1.0)});
    CHECK(with.find("shape plain") != std::string::npos);
    CHECK(with.find("shape tools") != std::string::npos);
    CHECK(with.find("FAIL: 1/1 refusal (0/1 ok)") != std::string::npos);
    CHECK(with.find("PASS (1/1 ok)") != std::string::npos);
    CHECK(with.find("both: with tools: refused") != std::string::npos);
    // plain-only has no tools shape: a dash in its column.
    const auto line = with.substr(with.find("shape tools"));
    CHECK(line.substr(0, line.find('\n')).find(" - ") != std::string::npos);
  }

  TEST_CASE("the JSON has each route's shapes and each result's shape") {
    route_run run{"r",
                  "m",
                  "gw",
                  std::nullopt,
                  {shaped(probe_shape::plain, outcome::ok), shaped(probe_shape::gif, outcome::ok)},
                  {probe_shape::plain, probe_shape::gif}};
    const auto j = render_json({summarize(run, 1.0)}, {run});
    const auto& r = j.at("routes").at(0);
    CHECK(j.at("passed") == true);
    REQUIRE(r.at("shapes").size() == 2);
    CHECK(r.at("shapes").at(1).at("shape") == "gif");
    CHECK(r.at("shapes").at(1).at("pass") == true);
    CHECK(r.at("shapes").at(1).at("ok") == 1);
    CHECK(r.at("results").at(1).at("shape") == "gif");
    // Runs built without a shape list take the shapes their probes carry.
    route_run bare{"b", "m", "gw", std::nullopt, {shaped(probe_shape::webp, outcome::ok)}, {}};
    CHECK(summarize(bare, 1.0).shapes.at(0).shape == probe_shape::webp);
  }
}
