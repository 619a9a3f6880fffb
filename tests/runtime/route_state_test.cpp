#include "daemon/runtime/route_state.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>
#include <vector>

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
    CHECK(*f.latency_max == doctest::Approx(3.0));             // transport errors have no latency
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

  TEST_CASE("the last probe's brief is the newest image probe's outcome - start and latency") {
    route_state s(100, 3);
    CHECK_FALSE(s.last_probe_brief().has_value());
    for (std::uint64_t i = 1; i <= 5; ++i) {  // the ring wraps: the brief must follow it
      auto r = result(i % 2 == 0 ? outcome::wrong_answer : outcome::ok, 0.25 * static_cast<double>(i), 0, i);
      r.started_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000 + i));
      r.reason = std::string(static_cast<std::size_t>(i) * 40, 'x');  // entries of unequal size
      s.record(r);
      const auto brief = s.last_probe_brief();
      REQUIRE(brief.has_value());
      CHECK(brief->result == r.result);
      CHECK(brief->started_at == r.started_at);
      CHECK(brief->latency_seconds == r.latency_seconds);
    }
    auto control = result(outcome::connect_error, 9.0, 0, 6);
    control.control = true;
    s.record_baseline(control);  // a control request does not change the brief
    CHECK(s.last_probe_brief()->result == outcome::ok);
    CHECK(s.last_probe_brief()->latency_seconds == 1.25);
  }

  TEST_CASE("the newest result and its brief follow a ring of one and a ring past 64 KiB") {
    // last() and last_probe_brief() read the newest packed result where record() put it: the
    // place must move with every record, with the front dropped, and past 16-bit offsets.
    for (const std::size_t limit : {std::size_t{1}, std::size_t{20}}) {
      CAPTURE(limit);
      route_state s(100, limit);
      for (std::uint64_t i = 1; i <= 45; ++i) {
        auto r = result(i % 3 == 0 ? outcome::http_5xx : outcome::ok, 0.5 * static_cast<double>(i), 0, i);
        r.started_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000 + i));
        r.answer_excerpt = std::string(static_cast<std::size_t>(4096 + i * 61), static_cast<char>('a' + i % 26));
        s.record(r);
        CAPTURE(i);
        REQUIRE(s.last().has_value());
        CHECK(s.last()->sequence == i);
        CHECK(s.last()->answer_excerpt == r.answer_excerpt);
        const auto brief = s.last_probe_brief();
        REQUIRE(brief.has_value());
        CHECK(brief->result == r.result);
        CHECK(brief->started_at == r.started_at);
        CHECK(brief->latency_seconds == r.latency_seconds);
        CHECK(s.recent().size() == std::min<std::size_t>(i, limit));
        CHECK(s.recent().front().sequence == i);
      }
    }
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

  TEST_CASE("a stored result comes back with every field but the route name") {
    route_state s(100, 2);
    probe_result r;
    r.route = "not stored";
    r.sequence = 42;
    r.seed = 0xfeedfacecafebeefULL;
    r.kind = challenge_kind::shape;
    r.shape = probe_shape::history;
    r.custom = true;
    r.result = outcome::image_tokens_missing;
    r.reason = "prompt_tokens 310 is not 50 above the baseline 300";
    r.http_status = 200;
    r.phases = {0.001, 0.002, 0.003, 0.004, 1.5, 0.25, 1.76, std::nullopt};
    r.latency_seconds = 1.76;
    r.tokens.prompt_tokens = 310;
    r.tokens.completion_tokens = 3;
    r.tokens.total_tokens = 313;
    r.tokens.image_tokens = 0;  // present and 0 is not the same as absent
    r.usage_missing = false;
    r.baseline_prompt_tokens = 300;
    r.cost_usd = 0.000125;
    r.expected = "square";
    r.answer_excerpt = "a square, I think ✓";
    r.retry_after = std::chrono::seconds(17);
    r.started_at =
        std::chrono::system_clock::time_point(std::chrono::nanoseconds(1'763'700'000'123'456'789));
    s.record(r);
    const auto back = s.recent();
    REQUIRE(back.size() == 1);
    const probe_result& b = back.front();
    CHECK(b.route.empty());
    CHECK(b.sequence == 42);
    CHECK(b.seed == 0xfeedfacecafebeefULL);
    CHECK(b.kind == challenge_kind::shape);
    CHECK(b.shape == probe_shape::history);
    CHECK(b.custom);
    CHECK_FALSE(b.control);
    CHECK(b.result == outcome::image_tokens_missing);
    CHECK(b.reason == r.reason);
    CHECK(b.http_status == 200);
    CHECK(b.phases.dns == 0.001);
    CHECK(b.phases.ttfb == 1.5);
    CHECK(b.phases.transfer == 0.25);
    CHECK(b.phases.total == 1.76);
    CHECK(b.latency_seconds == 1.76);
    CHECK(b.tokens.prompt_tokens == 310);
    CHECK(b.tokens.completion_tokens == 3);
    CHECK(b.tokens.total_tokens == 313);
    REQUIRE(b.tokens.image_tokens.has_value());
    CHECK(*b.tokens.image_tokens == 0);
    CHECK_FALSE(b.tokens.cached_tokens.has_value());
    CHECK(b.baseline_prompt_tokens == 300);
    CHECK(b.cost_usd == 0.000125);
    CHECK(b.expected == "square");
    CHECK(b.answer_excerpt == "a square, I think ✓");
    REQUIRE(b.retry_after.has_value());
    CHECK(b.retry_after->count() == 17);
    CHECK(b.started_at == r.started_at);

    // Empty texts and absent numbers stay empty and absent.
    probe_result bare;
    bare.sequence = 43;
    s.record(bare);
    const auto last = s.last();
    REQUIRE(last);
    CHECK(last->sequence == 43);
    CHECK(last->reason.empty());
    CHECK(last->expected.empty());
    CHECK(last->answer_excerpt.empty());
    CHECK_FALSE(last->tokens.prompt_tokens.has_value());
    CHECK_FALSE(last->retry_after.has_value());

    // The ring keeps the newest two; the oldest text goes with its slot.
    probe_result third = bare;
    third.sequence = 44;
    third.reason = "wrong answer";
    s.record(third);
    const auto two = s.recent();
    REQUIRE(two.size() == 2);
    CHECK(two[0].sequence == 44);
    CHECK(two[0].reason == "wrong answer");
    CHECK(two[1].sequence == 43);
    CHECK(two[1].reason.empty());
  }

  TEST_CASE("a stored result keeps edge values exactly") {
    route_state s(100, 3);
    probe_result r;
    r.sequence = ~std::uint64_t{0};
    r.phases.dns = -0.0;  // kept with its sign
    r.phases.connect = std::numeric_limits<double>::infinity();
    r.phases.first_token = 0.0;  // present and 0 is not absent
    r.latency_seconds = std::numeric_limits<double>::quiet_NaN();
    r.tokens.prompt_tokens = std::numeric_limits<long long>::max();
    r.tokens.completion_tokens = std::numeric_limits<long long>::min();
    r.tokens.cached_tokens = -1;
    r.retry_after = std::chrono::seconds(-5);
    r.http_status = 70000;  // kept as 65535, as ever
    r.cost_usd = -0.0;      // not counted as spend anywhere, but kept
    r.reason = std::string(300, 'x') + std::string(1, '\0') + "end";  // long, NUL inside
    r.started_at = std::chrono::system_clock::time_point(std::chrono::nanoseconds(-1));
    s.record(r);
    const auto b = s.last();
    REQUIRE(b);
    CHECK(b->sequence == r.sequence);
    CHECK(b->phases.dns == 0.0);
    CHECK(std::signbit(b->phases.dns));
    CHECK(b->phases.connect == r.phases.connect);
    REQUIRE(b->phases.first_token.has_value());
    CHECK(*b->phases.first_token == 0.0);
    CHECK(std::isnan(b->latency_seconds));
    CHECK(b->tokens.prompt_tokens == r.tokens.prompt_tokens);
    CHECK(b->tokens.completion_tokens == r.tokens.completion_tokens);
    CHECK(b->tokens.cached_tokens == -1);
    CHECK_FALSE(b->tokens.total_tokens.has_value());
    REQUIRE(b->retry_after.has_value());
    CHECK(b->retry_after->count() == -5);
    CHECK(b->http_status == 65535);
    CHECK(std::signbit(b->cost_usd));
    CHECK(b->reason == r.reason);
    CHECK(b->started_at == r.started_at);
    // Texts of every length around the one-byte length prefix's limit, in and out of the ring.
    for (const std::size_t n :
       std::initializer_list<std::size_t>{0, 1, 127, 128, 129, 16383, 16384}) {
      probe_result t;
      t.sequence = n;
      t.answer_excerpt = std::string(n, 'a');
      s.record(t);
      REQUIRE(s.last());
      CHECK(s.last()->answer_excerpt.size() == n);
      const auto all = s.recent();
      REQUIRE_FALSE(all.empty());
      CHECK(all.size() <= 3);
      CHECK(all[0].sequence == n);
    }
    CHECK(s.recent().size() == 3);
    CHECK(s.recent()[1].answer_excerpt.size() == 16383);
    CHECK(s.recent()[2].answer_excerpt.size() == 129);
  }

  TEST_CASE("a stored result keeps every timing bit for bit whether the clock made it or not") {
    // Timings from the probe's clock are whole nanoseconds (stored short); the others keep
    // their raw bits: both must come back identical, in the ring and as the last probe's brief.
    const std::vector<double> values = {
        std::chrono::duration<double>(std::chrono::nanoseconds(1)).count(),
        std::chrono::duration<double>(std::chrono::nanoseconds(12'345'678)).count(),
        std::chrono::duration<double>(std::chrono::nanoseconds(999'999'999'999'999'999)).count(),
        std::chrono::duration<double>(std::chrono::seconds(10)).count(),
        0.1,
        1.0 / 3.0,
        1e-300,
        std::numeric_limits<double>::denorm_min(),
        std::numeric_limits<double>::max(),
        -std::numeric_limits<double>::infinity(),
        -1.5e-9,
        1e9,
        std::nextafter(1e9, 0.0),
        std::nextafter(0.004, 1.0)};
    auto bits = [](double v) { return std::bit_cast<std::uint64_t>(v); };
    route_state s(100, static_cast<std::size_t>(values.size()));
    for (const double v : values) {
      probe_result r;
      r.latency_seconds = v;
      r.phases.total = v;
      r.phases.ttfb = v;
      r.phases.first_token = v;
      s.record(r);
      REQUIRE(s.last_probe_brief());
      CHECK(bits(s.last_probe_brief()->latency_seconds) == bits(v));
    }
    const auto all = s.recent();
    REQUIRE(all.size() == values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      const auto& r = all[values.size() - 1 - i];  // newest first
      CHECK(bits(r.latency_seconds) == bits(values[i]));
      CHECK(bits(r.phases.total) == bits(values[i]));
      CHECK(bits(r.phases.ttfb) == bits(values[i]));
      REQUIRE(r.phases.first_token.has_value());
      CHECK(bits(*r.phases.first_token) == bits(values[i]));
      CHECK(bits(r.phases.dns) == bits(0.0));
    }
  }

  TEST_CASE("a stored result keeps its answer excerpt whether it is the expected answer or not") {
    route_state s(100, 4);
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"52511", "52511"}, {"52511", "5251"}, {"", "x"}, {"", ""}};
    for (const auto& [expected, excerpt] : cases) {
      probe_result r;
      r.expected = expected;
      r.answer_excerpt = excerpt;
      s.record(r);
    }
    const auto all = s.recent();
    REQUIRE(all.size() == cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const auto& r = all[cases.size() - 1 - i];  // newest first
      CHECK(r.expected == cases[i].first);
      CHECK(r.answer_excerpt == cases[i].second);
    }
  }

  TEST_CASE("time to first token has a window once streamed probes come - of the window's size") {
    route_state s(10);
    s.record(result(outcome::ok, 1, 0));
    CHECK_FALSE(s.figures().first_token_p90.has_value());
    s.set_window(2);  // before the first streamed probe: its window is made this size
    for (const double t : {9.0, 1.0, 2.0}) {
      auto r = result(outcome::ok, 3, 0);
      r.phases.first_token = t;
      s.record(r);
    }
    REQUIRE(s.figures().first_token_p90.has_value());
    CHECK(*s.figures().first_token_p90 == doctest::Approx(1.9));  // 1 and 2: 9 is out
    s.set_window(3);
    auto r = result(outcome::ok, 3, 0);
    r.phases.first_token = 3.0;
    s.record(r);
    CHECK(*s.figures().first_token_p90 == doctest::Approx(2.8));  // 1, 2, 3
  }

  TEST_CASE("the last control request is kept apart from the image probes") {
    route_state s;
    CHECK_FALSE(s.last_control().has_value());
    probe_result c = result(outcome::ok, 0.5, 0.0001, 7);
    c.control = true;
    c.tokens.prompt_tokens = 300;
    CHECK(s.record_baseline(c));
    const auto back = s.last_control();
    REQUIRE(back);
    CHECK(back->control);
    CHECK(back->sequence == 7);
    CHECK(back->tokens.prompt_tokens == 300);
    CHECK(s.recent().empty());
    CHECK_FALSE(s.last().has_value());
  }

  TEST_CASE("silent failures and successes in the window follow the window through a resize") {
    route_state s(3);
    s.record(result(outcome::wrong_answer, 1, 0));
    s.record(result(outcome::no_image_claim, 1, 0));
    s.record(result(outcome::ok, 1, 0.01));
    CHECK(s.silent_in_window() == 2);
    s.record(result(outcome::ok, 1, 0.01));  // pushes the wrong answer out
    CHECK(s.silent_in_window() == 1);
    CHECK(*s.figures().success_ratio == doctest::Approx(2.0 / 3.0));
    s.set_window(5);  // grows: the three kept, two free slots count as nothing
    CHECK(s.silent_in_window() == 1);
    CHECK(s.figures().probes == 3);
    s.set_window(1);
    CHECK(s.silent_in_window() == 0);
    CHECK(*s.figures().success_ratio == doctest::Approx(1.0));
    CHECK(*s.figures().cost_per_success_usd == doctest::Approx(0.01));
  }
  TEST_CASE("a stored result keeps its note") {
    route_state s(10, 5);
    auto hedged = result(outcome::ok, 1, 0, 1);
    hedged.note = probe_note::hedged;
    s.record(hedged);
    s.record(result(outcome::ok, 1, 0, 2));
    const auto recent = s.recent();
    REQUIRE(recent.size() == 2);
    CHECK(recent[0].note == probe_note::none);
    CHECK(recent[1].note == probe_note::hedged);
  }

  TEST_CASE("the shape rotation takes the next shape each probe and wraps") {
    route_state s;
    const std::vector<probe_shape> shapes = {
        probe_shape::plain, probe_shape::tools, probe_shape::jpeg};
    std::vector<probe_shape> seen;
    seen.reserve(7);
    for (int i = 0; i < 7; ++i) {
      seen.push_back(s.next_shape(shapes, false));
    }
    CHECK(seen == std::vector<probe_shape>{probe_shape::plain,
                                           probe_shape::tools,
                                           probe_shape::jpeg,
                                           probe_shape::plain,
                                           probe_shape::tools,
                                           probe_shape::jpeg,
                                           probe_shape::plain});
    // A reload that changes the list keeps counting (seven picks so far: index 7 % 2).
    const std::vector<probe_shape> two = {probe_shape::plain, probe_shape::history};
    CHECK(s.next_shape(two, false) == probe_shape::history);
    CHECK(s.next_shape(two, false) == probe_shape::plain);
  }

  TEST_CASE("a retry repeats the shape whose probe failed and does not move the rotation") {
    route_state s;
    const std::vector<probe_shape> shapes = {probe_shape::plain, probe_shape::tools};
    REQUIRE(s.next_shape(shapes, false) == probe_shape::plain);
    REQUIRE(s.next_shape(shapes, false) == probe_shape::tools);
    auto failed = result(outcome::no_image_claim, 1, 0);
    failed.shape = probe_shape::tools;
    s.record(failed);
    CHECK(s.next_shape(shapes, true) == probe_shape::tools);
    CHECK(s.next_shape(shapes, true) == probe_shape::tools);
    CHECK(s.next_shape(shapes, false) == probe_shape::plain);  // the slot: rotation goes on
    // A retry after a success, or of a shape no longer configured, takes the rotation.
    s.record(result(outcome::ok, 1, 0));
    CHECK(s.next_shape(shapes, true) == probe_shape::tools);
    s.record(failed);
    CHECK(s.next_shape(std::vector<probe_shape>{probe_shape::plain}, true) == probe_shape::plain);
  }

  TEST_CASE("each request form has its own baseline and the control request learns the neediest") {
    route_state s;
    const std::vector<request_form> forms = {request_form::plain, request_form::tools};
    CHECK(s.unmeasured(forms));
    CHECK(s.control_form(forms) == request_form::plain);
    auto control = [](probe_shape shape, long long tokens, int minute) {
      probe_result c = result(outcome::ok, 0.5, 0);
      c.control = true;
      c.shape = shape;
      c.tokens.prompt_tokens = tokens;
      c.started_at = std::chrono::system_clock::time_point(std::chrono::minutes(minute));
      return c;
    };
    CHECK(s.record_baseline(control(probe_shape::plain, 25, 1)));
    CHECK(s.control_form(forms) == request_form::tools);  // the missing one first
    CHECK(s.record_baseline(control(probe_shape::tools, 105, 2)));
    CHECK_FALSE(s.unmeasured(forms));
    CHECK(s.baseline() == 25);  // plain's, as the API and the gauge show it
    CHECK(s.baseline(request_form::tools) == 105);
    CHECK_FALSE(s.baseline(request_form::system).has_value());
    CHECK(s.control_form(forms) == request_form::plain);  // then the oldest
    CHECK(s.record_baseline(control(probe_shape::plain, 26, 3)));
    CHECK(s.control_form(forms) == request_form::tools);
    s.restore_baseline(300, std::chrono::system_clock::time_point{}, request_form::history);
    CHECK(s.baseline(request_form::history) == 300);
    // A restored baseline counts as measured: no control request rushes to re-learn it.
    CHECK_FALSE(s.unmeasured(std::vector<request_form>{request_form::history}));
  }

  TEST_CASE("a form whose control requests fail does not keep the others from being refreshed") {
    route_state s;
    const std::vector<request_form> forms = {request_form::plain, request_form::tools};
    auto control = [](probe_shape shape, outcome o, int minute) {
      probe_result c = result(o, 0.5, 0);
      c.control = true;
      c.shape = shape;
      c.tokens.prompt_tokens = 25;
      c.started_at = std::chrono::system_clock::time_point(std::chrono::minutes(minute));
      return c;
    };
    s.record_baseline(control(probe_shape::plain, outcome::ok, 1));
    REQUIRE(s.control_form(forms) == request_form::tools);
    CHECK_FALSE(s.record_baseline(control(probe_shape::tools, outcome::http_4xx, 2)));
    CHECK_FALSE(s.baseline(request_form::tools).has_value());
    CHECK_FALSE(s.unmeasured(forms));                     // tried: no chained retry
    CHECK(s.control_form(forms) == request_form::plain);  // the oldest attempt goes next
    s.record_baseline(control(probe_shape::plain, outcome::ok, 3));
    CHECK(s.control_form(forms) == request_form::tools);
  }

  TEST_CASE("each shape's latest outcome and window share are kept") {
    route_state s(4);
    auto probe = [](probe_shape shape, outcome o) {
      auto r = result(o, 1, 0);
      r.shape = shape;
      return r;
    };
    const std::vector<probe_shape> shapes = {
        probe_shape::plain, probe_shape::tools, probe_shape::gif};
    s.record(probe(probe_shape::plain, outcome::ok));
    s.record(probe(probe_shape::tools, outcome::no_image_claim));
    s.record(probe(probe_shape::plain, outcome::ok));
    s.record(probe(probe_shape::tools, outcome::ok));
    s.record(probe(probe_shape::tools, outcome::wrong_answer));  // pushes the first plain out
    const auto latest = s.latest(shapes);
    REQUIRE(latest.size() == 3);
    CHECK(latest[0].last == outcome::ok);
    CHECK(latest[1].last == outcome::wrong_answer);
    CHECK_FALSE(latest[2].last.has_value());
    CHECK(s.shape_window(probe_shape::plain) == std::pair<std::size_t, std::size_t>{1, 1});
    CHECK(s.shape_window(probe_shape::tools) == std::pair<std::size_t, std::size_t>{3, 1});
    CHECK(s.shape_window(probe_shape::gif) == std::pair<std::size_t, std::size_t>{0, 0});
    CHECK(s.silent_in_window() == 2);  // the shape bits leave the route's figures as they were
    CHECK(*s.figures().success_ratio == doctest::Approx(0.5));
  }

  TEST_CASE("the cost window starts with the first cost that is not zero and keeps the window's span") {
    route_state s(3);
    s.record(result(outcome::ok, 1, 0));
    CHECK(*s.figures().cost_per_success_usd == 0.0);  // unpriced: zero per success, not absent
    s.set_window(2);  // before any cost: the window made later takes this size
    s.record(result(outcome::ok, 1, -0.0));
    CHECK(*s.figures().cost_per_success_usd == 0.0);
    CHECK_FALSE(std::signbit(*s.figures().cost_per_success_usd));  // as a sum of zeros from 0
    s.record(result(outcome::ok, 1, 0.04));
    CHECK(*s.figures().cost_per_success_usd == doctest::Approx(0.02));  // 0.04 over 2 successes
    s.record(result(outcome::ok, 1, 0));
    CHECK(*s.figures().cost_per_success_usd == doctest::Approx(0.02));  // still in the window of 2
    s.record(result(outcome::ok, 1, 0));
    CHECK(*s.figures().cost_per_success_usd == 0.0);  // pushed out after two more probes
    s.set_window(3);
    s.record(result(outcome::ok, 1, 0.03));
    s.record(result(outcome::connect_error, 0.001, 0.03));
    CHECK(*s.figures().cost_per_success_usd == doctest::Approx(0.03));  // 0.06 over 2 successes
  }
}
