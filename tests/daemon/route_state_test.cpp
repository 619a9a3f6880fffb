#include "daemon/route_state.hpp"

#include <doctest/doctest.h>

using namespace visionwatch;

namespace {
probe_result result(outcome o, double latency, double cost, std::uint64_t seq = 0) {
  probe_result r;
  r.result = o;
  r.latency_seconds = latency;
  r.cost_usd = cost;
  r.sequence = seq;
  return r;
}
}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("window figures cover success - silent failures - latency and cost per success") {
    route_state s(4);
    s.record(result(outcome::ok, 1.0, 0.01));
    s.record(result(outcome::no_image_claim, 2.0, 0.01));
    s.record(result(outcome::connect_error, 0.001, 0.0));
    s.record(result(outcome::ok, 3.0, 0.01));
    const auto f = s.figures();
    CHECK(f.probes == 4);
    CHECK(*f.success_ratio == doctest::Approx(0.5));
    CHECK(*f.cost_per_success_usd == doctest::Approx(0.015));  // 0.03 spent for 2 successes
    CHECK(*f.latency_max == doctest::Approx(3.0));         // transport errors have no latency
    CHECK(*f.latency_p50 == doctest::Approx(2.0));
    CHECK(s.silent_in_window() == 1);
  }

  TEST_CASE("recent results are newest first and bounded") {
    route_state s(100, 3);
    for (std::uint64_t i = 1; i <= 5; ++i) {
      s.record(result(outcome::ok, 1, 0, i));
    }
    REQUIRE(s.recent().size() == 3);
    CHECK(s.recent().front().sequence == 5);
    CHECK(s.recent().back().sequence == 3);
    CHECK(s.last()->sequence == 5);
  }

  TEST_CASE("only a successful control request with usage sets the baseline") {
    route_state s;
    probe_result c = result(outcome::http_5xx, 1, 0);
    c.control = true;
    c.tokens.prompt_tokens = 99;
    CHECK_FALSE(s.record_baseline(c));
    CHECK_FALSE(s.baseline().has_value());
    c.result = outcome::ok;
    c.tokens.prompt_tokens.reset();
    CHECK_FALSE(s.record_baseline(c));
    c.tokens.prompt_tokens = 25;
    CHECK(s.record_baseline(c));
    CHECK(*s.baseline() == 25);
    CHECK_FALSE(s.record_baseline(c));  // unchanged
  }

  TEST_CASE("a smaller window after reload keeps the newest samples") {
    route_state s(10);
    for (int i = 0; i < 8; ++i) {
      s.record(result(outcome::wrong_answer, 1, 0));
    }
    s.record(result(outcome::ok, 1, 0));
    s.record(result(outcome::ok, 1, 0));
    s.set_window(2);
    CHECK(*s.figures().success_ratio == doctest::Approx(1.0));
  }
}
