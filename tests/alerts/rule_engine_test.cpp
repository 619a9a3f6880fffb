#include "alerts/rule_engine.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/alerts/alert_fixtures.hpp"
#include "tests/support/test_paths.hpp"

using namespace visionwatch;
using namespace std::chrono_literals;

namespace {

using test::t0;

route_identity identity() {
  return {"vision-a", "gpt-4o-mini", "openrouter", "https://watch.example/routes/vision-a", {}};
}

alert_rules_config rules_of(std::initializer_list<alert_rule_config> list,
                            std::chrono::seconds repeat = 4h) {
  alert_rules_config c;
  c.rules = list;
  c.repeat_interval = repeat;
  return c;
}

alert_rule_config rule(alert_rule_kind k) { return default_rule_config(k); }

probe_result probe(outcome o, std::string reason = {}) {
  probe_result r;
  r.route = "vision-a";
  r.result = o;
  r.reason = std::move(reason);
  r.http_status = is_transport_error(o) ? 0 : (o == outcome::http_5xx ? 502 : 200);
  r.latency_seconds = 1.5;
  r.seed = 42;
  return r;
}

// The real silent failure from shared/fixtures/real-replies.json (gemini-2.5-flash via a gateway).
probe_result fixture_no_image_probe() {
  const auto doc =
      nlohmann::json::parse(test::read_file(test::fixtures_dir() / "real-replies.json"));
  const auto& f = doc.at("silent_failures").at(0);
  probe_result r = probe(outcome::no_image_claim, "the model says it got no image");
  r.answer_excerpt = f.at("reply").get<std::string>();
  r.tokens.prompt_tokens = f.at("prompt_tokens").get<long long>();
  r.latency_seconds = f.at("latency_s").get<double>();
  r.http_status = f.at("http_status").get<unsigned>();
  r.seed = 987654321;
  return r;
}

struct driver {
  rule_engine engine;
  wall_time now = t0;
  bool silenced = false;

  std::vector<alert_event> feed(const probe_result& r,
                                window_figures f = {},
                                std::chrono::seconds step = 60s) {
    now += step;
    return engine.evaluate(r, f, now, silenced);
  }
  [[nodiscard]] alert_state state(std::size_t i = 0) const { return engine.statuses().at(i).state; }
};

/// Feeds one probe of each of `outcomes` in turn; none may announce anything.
void feed_quietly(driver& d, std::initializer_list<outcome> outcomes) {
  for (const auto o : outcomes) {
    CAPTURE(to_string(o));
    CHECK(d.feed(probe(o)).empty());
  }
}

/// The one event of `events`, which must be a resolve.
alert_event only_resolve(const std::vector<alert_event>& events) {
  REQUIRE(events.size() == 1);
  CHECK(events[0].note.kind == notification_kind::resolved);
  return events[0];
}

/// `k` with its default threshold replaced and one bad or good evaluation to fire or resolve.
alert_rule_config one_shot(alert_rule_kind k, double threshold) {
  auto cfg = default_rule_config(k);
  cfg.threshold = threshold;
  cfg.failure_threshold = 1;
  cfg.success_threshold = 1;
  return cfg;
}

window_figures ratio(double v, std::size_t samples = 100) {
  window_figures f;
  f.probes = samples;
  f.success_ratio = v;
  return f;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("silent_failure fires after two consecutive silent failures but not after one") {
    driver d{rule_engine(identity(), rules_of({rule(alert_rule_kind::silent_failure)}))};
    CHECK(d.feed(probe(outcome::wrong_answer, "answer '12' does not contain '4821'")).empty());
    CHECK(d.state() == alert_state::inactive);
    const auto events = d.feed(probe(outcome::no_image_claim, "says no image"));
    REQUIRE(events.size() == 1);
    CHECK(events[0].note.kind == notification_kind::firing);
    CHECK_FALSE(events[0].suppressed);
    CHECK(events[0].note.rule == alert_rule_kind::silent_failure);
    CHECK(events[0].note.value == 2);
    CHECK(events[0].note.reason.find("2 consecutive silent failures") != std::string::npos);
    CHECK(events[0].note.reason.find("no_image_claim: says no image") != std::string::npos);
    CHECK(events[0].note.starts_at == d.now);
    CHECK(d.state() == alert_state::firing);
  }

  TEST_CASE("a transport failure breaks a silent failure streak") {
    driver d{rule_engine(identity(), rules_of({rule(alert_rule_kind::silent_failure)}))};
    feed_quietly(d, {outcome::wrong_answer, outcome::timeout, outcome::wrong_answer});
    CHECK(d.state() == alert_state::inactive);
    CHECK(d.feed(probe(outcome::empty_answer)).size() == 1);
  }

  TEST_CASE("a firing rule resolves only after success_threshold good probes in a row") {
    auto cfg = rule(alert_rule_kind::silent_failure);
    cfg.success_threshold = 3;
    driver d{rule_engine(identity(), rules_of({cfg}))};
    d.feed(probe(outcome::wrong_answer));
    const auto fired = d.feed(probe(outcome::wrong_answer));
    REQUIRE(fired.size() == 1);
    // Two good probes, a flap that restarts the good streak, two more: still firing.
    feed_quietly(d, {outcome::ok, outcome::ok, outcome::wrong_answer, outcome::ok, outcome::ok});
    CHECK(d.state() == alert_state::firing);
    const auto resolved = only_resolve(d.feed(probe(outcome::ok)));
    CHECK(resolved.note.status() == alert_status::resolved);
    CHECK(resolved.note.fingerprint == fired[0].note.fingerprint);
    CHECK(resolved.note.starts_at == fired[0].note.starts_at);
    REQUIRE(resolved.note.ends_at.has_value());
    CHECK(*resolved.note.ends_at == d.now);
    CHECK(resolved.note.reason == "3 consecutive successful probes");
    CHECK(d.state() == alert_state::resolved);
    CHECK(d.feed(probe(outcome::ok)).empty());
    CHECK(d.state() == alert_state::inactive);
  }

  TEST_CASE("a new incident of the same rule keeps the fingerprint of its labels") {
    driver d{rule_engine(identity(), rules_of({rule(alert_rule_kind::silent_failure)}))};
    d.feed(probe(outcome::refusal));
    const auto first = d.feed(probe(outcome::refusal));
    d.feed(probe(outcome::ok));
    d.feed(probe(outcome::ok));
    d.feed(probe(outcome::refusal));
    const auto second = d.feed(probe(outcome::refusal));
    REQUIRE(first.size() == 1);
    REQUIRE(second.size() == 1);
    // Identity comes from labels, not time: a restart or an HA peer computes the same key.
    CHECK(first[0].note.fingerprint == second[0].note.fingerprint);
    CHECK(first[0].note.fingerprint.size() == 32);
  }

  TEST_CASE("route_down fires after three failures of any kind") {
    driver d{rule_engine(identity(), rules_of({rule(alert_rule_kind::route_down)}))};
    CHECK(d.feed(probe(outcome::connect_error, "connection refused")).empty());
    CHECK(d.feed(probe(outcome::http_5xx, "HTTP 502")).empty());
    const auto events = d.feed(probe(outcome::wrong_answer));
    REQUIRE(events.size() == 1);
    CHECK(events[0].note.rule == alert_rule_kind::route_down);
    CHECK(events[0].note.threshold == 3);
    CHECK(events[0].note.reason.find("3 consecutive failed probes") != std::string::npos);
    CHECK(d.feed(probe(outcome::ok)).empty());
    CHECK(d.feed(probe(outcome::ok)).size() == 1);
  }

  TEST_CASE("success_ratio fires below the threshold and waits for min_samples") {
    auto cfg = rule(alert_rule_kind::success_ratio);
    cfg.threshold = 0.9;
    cfg.failure_threshold = 2;
    cfg.success_threshold = 2;
    cfg.min_samples = 10;
    driver d{rule_engine(identity(), rules_of({cfg}))};
    CHECK(d.feed(probe(outcome::timeout), ratio(0.0, 1)).empty());
    CHECK(d.feed(probe(outcome::timeout), ratio(0.0, 9)).empty());
    CHECK(d.engine.statuses()[0].bad_streak == 0);
    CHECK(d.feed(probe(outcome::timeout), ratio(0.85)).empty());
    const auto events = d.feed(probe(outcome::ok), ratio(0.8));
    REQUIRE(events.size() == 1);
    CHECK(events[0].note.value == doctest::Approx(0.8));
    CHECK(events[0].note.threshold == doctest::Approx(0.9));
    CHECK(events[0].note.reason == "success ratio 0.8 below 0.9 over 100 probes");
    CHECK(d.feed(probe(outcome::ok), ratio(0.95)).empty());
    CHECK(d.feed(probe(outcome::ok), window_figures{}).empty());  // no figure: no evaluation
    const auto resolved = only_resolve(d.feed(probe(outcome::ok), ratio(0.9)));
  }

  TEST_CASE("latency fires when the windowed p90 is above the threshold") {
    driver d{rule_engine(identity(), rules_of({one_shot(alert_rule_kind::latency, 10)}))};
    window_figures f;
    f.probes = 50;
    f.latency_p90 = 10.0;
    CHECK(d.feed(probe(outcome::ok), f).empty());  // equal is fine
    f.latency_p90 = 12.5;
    const auto events = d.feed(probe(outcome::ok), f);
    REQUIRE(events.size() == 1);
    CHECK(events[0].note.reason == "p90 latency 12.5s above 10s over 50 probes");
    f.latency_p90 = 3;
    CHECK(d.feed(probe(outcome::ok), f).size() == 1);
  }

  TEST_CASE("latency with metric first_token judges the windowed time to first token") {
    auto cfg = one_shot(alert_rule_kind::latency, 2);
    cfg.metric = latency_metric::first_token;
    driver d{rule_engine(identity(), rules_of({cfg}))};
    window_figures f;
    f.probes = 50;
    f.latency_p90 = 30;                            // total latency is not what this rule reads
    CHECK(d.feed(probe(outcome::ok), f).empty());  // no streamed probe: nothing to judge
    f.first_token_p90 = 2.5;
    const auto events = d.feed(probe(outcome::ok), f);
    REQUIRE(events.size() == 1);
    CHECK(events[0].note.reason == "p90 time to first token 2.5s above 2s over 50 probes");
    f.first_token_p90 = 0.4;
    const auto resolved = only_resolve(d.feed(probe(outcome::ok), f));
  }

  TEST_CASE("cost fires when cost per success is above the threshold") {
    auto cfg = rule(alert_rule_kind::cost);
    cfg.threshold = 0.01;
    cfg.failure_threshold = 2;
    driver d{rule_engine(identity(), rules_of({cfg}))};
    window_figures f;
    f.probes = 20;
    f.cost_per_success_usd = 0.02;
    CHECK(d.feed(probe(outcome::ok), f).empty());
    f.cost_per_success_usd.reset();  // no success in the window: not evaluated, streak kept
    CHECK(d.feed(probe(outcome::timeout), f).empty());
    f.cost_per_success_usd = 0.03;
    const auto events = d.feed(probe(outcome::ok), f);
    REQUIRE(events.size() == 1);
    CHECK(events[0].note.reason == "cost per success $0.03 above $0.01 over 20 probes");
  }

  TEST_CASE("control probes do not move any rule") {
    driver d{rule_engine(identity(), rules_of({rule(alert_rule_kind::route_down)}))};
    auto control = probe(outcome::timeout);
    control.control = true;
    for (int i = 0; i < 5; ++i) {
      CHECK(d.feed(control).empty());
    }
    CHECK(d.engine.statuses()[0].bad_streak == 0);
  }

  TEST_CASE("reminders come every repeat_interval while firing") {
    driver d{rule_engine(identity(), rules_of({rule(alert_rule_kind::silent_failure)}, 4h))};
    d.feed(probe(outcome::wrong_answer));
    const auto fired = d.feed(probe(outcome::wrong_answer));
    REQUIRE(fired.size() == 1);
    CHECK(d.feed(probe(outcome::wrong_answer), {}, 3h).empty());
    const auto reminder = d.feed(probe(outcome::wrong_answer), {}, 1h);
    REQUIRE(reminder.size() == 1);
    CHECK(reminder[0].note.kind == notification_kind::reminder);
    CHECK(reminder[0].note.fingerprint == fired[0].note.fingerprint);
    CHECK(reminder[0].note.reason.find("4 consecutive") != std::string::npos);
    CHECK(d.feed(probe(outcome::wrong_answer), {}, 3h).empty());
    CHECK(d.feed(probe(outcome::ok), {}, 59min).empty());     // good probes do not stop reminders
    CHECK(d.feed(probe(outcome::ok), {}, 1min).size() == 1);  // the resolve, not a reminder
  }

  TEST_CASE("a zero repeat_interval sends no reminders") {
    driver d{rule_engine(identity(), rules_of({rule(alert_rule_kind::route_down)}, 0s))};
    for (int i = 0; i < 3; ++i) {
      d.feed(probe(outcome::timeout));
    }
    CHECK(d.feed(probe(outcome::timeout), {}, 24h).empty());
  }

  TEST_CASE("a silence suppresses the firing but the state still fires and counts") {
    driver d{rule_engine(identity(), rules_of({rule(alert_rule_kind::silent_failure)}))};
    d.silenced = true;
    d.feed(probe(outcome::wrong_answer));
    const auto events = d.feed(probe(outcome::wrong_answer));
    REQUIRE(events.size() == 1);
    CHECK(events[0].suppressed);
    CHECK(d.state() == alert_state::firing);
    CHECK(d.engine.statuses()[0].bad_streak == 2);
    CHECK_FALSE(d.engine.statuses()[0].notified);
    CHECK(d.engine.firing_notifications().empty());
    CHECK(d.feed(probe(outcome::wrong_answer), {}, 5h).empty());  // no reminder while silenced

    SUBCASE("the silence ends while firing: the firing is announced then") {
      d.silenced = false;
      const auto late = d.feed(probe(outcome::wrong_answer));
      REQUIRE(late.size() == 1);
      CHECK(late[0].note.kind == notification_kind::firing);
      CHECK_FALSE(late[0].suppressed);
      CHECK(late[0].note.fingerprint == events[0].note.fingerprint);
      CHECK(d.engine.firing_notifications().size() == 1);
    }
    SUBCASE("resolving while silenced and never announced stays quiet") {
      d.feed(probe(outcome::ok));
      const auto resolved = only_resolve(d.feed(probe(outcome::ok)));
      CHECK(resolved.suppressed);
      CHECK(d.state() == alert_state::resolved);
    }
  }

  TEST_CASE("an announced alert is resolved even under a silence") {
    driver d{rule_engine(identity(), rules_of({rule(alert_rule_kind::silent_failure)}))};
    d.feed(probe(outcome::wrong_answer));
    REQUIRE(d.feed(probe(outcome::wrong_answer)).size() == 1);
    d.silenced = true;
    CHECK(d.feed(probe(outcome::wrong_answer), {}, 5h).empty());  // reminder suppressed
    d.feed(probe(outcome::ok));
    const auto resolved = d.feed(probe(outcome::ok));
    REQUIRE(resolved.size() == 1);
    CHECK_FALSE(resolved[0].suppressed);
  }

  TEST_CASE("the notification carries the last failing probe and the rendered template") {
    auto cfg = rule(alert_rule_kind::silent_failure);
    cfg.description = "{route}/{model}@{gateway} {rule} {severity}: {reason} ({value}) {unknown}";
    driver d{rule_engine(identity(), rules_of({cfg}))};
    d.feed(probe(outcome::wrong_answer));
    const auto events = d.feed(fixture_no_image_probe());
    REQUIRE(events.size() == 1);
    const auto& n = events[0].note;
    CHECK(n.summary == "vision-a/gpt-4o-mini@openrouter silent_failure critical: " + n.reason +
                           " (2) {unknown}");
    CHECK(n.route == "vision-a");
    CHECK(n.model == "gpt-4o-mini");
    CHECK(n.gateway == "openrouter");
    CHECK(n.severity == "critical");
    CHECK(n.status_url == "https://watch.example/routes/vision-a");
    REQUIRE(n.last_failure.has_value());
    CHECK(n.last_failure->result == outcome::no_image_claim);
    CHECK(n.last_failure->reply_excerpt ==
          "Please upload an image for analysis. No image provided.");
    CHECK(n.last_failure->tokens.prompt_tokens == 27);
    CHECK(n.last_failure->latency_seconds == doctest::Approx(4.402));
    CHECK(n.last_failure->seed == 987654321);
  }

  TEST_CASE("state survives a restart mid-incident without a second firing") {
    const auto rules =
        rules_of({rule(alert_rule_kind::silent_failure), rule(alert_rule_kind::route_down)});
    driver d{rule_engine(identity(), rules)};
    d.feed(probe(outcome::wrong_answer));
    const auto fired = d.feed(probe(outcome::wrong_answer));
    REQUIRE(fired.size() == 1);
    const auto saved = nlohmann::json::parse(d.engine.to_json().dump());

    driver restarted{rule_engine(identity(), rules), d.now};
    CHECK(restarted.engine.restore(saved).empty());
    CHECK(restarted.state(0) == alert_state::firing);
    CHECK(restarted.engine.statuses()[1].bad_streak == 2);
    CHECK(restarted.engine.last_failure().has_value());
    CHECK(restarted.feed(probe(outcome::wrong_answer)).size() == 1);  // route_down's third: fires
    CHECK(restarted.state(0) == alert_state::firing);
    restarted.feed(probe(outcome::ok));
    const auto resolved = restarted.feed(probe(outcome::ok));
    REQUIRE(resolved.size() == 2);
    CHECK(resolved[0].note.fingerprint == fired[0].note.fingerprint);
    CHECK(resolved[0].note.starts_at == fired[0].note.starts_at);
    // Reminder timing continues from the saved last announcement.
    driver again{rule_engine(identity(), rules), d.now};
    REQUIRE(again.engine.restore(saved).empty());
    const auto reminder = again.feed(probe(outcome::wrong_answer), {}, 4h);
    REQUIRE(reminder.size() == 2);  // route_down fires, silent_failure reminds
    CHECK(reminder[0].note.kind == notification_kind::reminder);
  }

  TEST_CASE("rules at rest are left out of the saved state and restore at rest") {
    const auto rules =
        rules_of({rule(alert_rule_kind::silent_failure), rule(alert_rule_kind::route_down)});
    driver d{rule_engine(identity(), rules)};
    CHECK(d.engine.at_rest());
    d.feed(probe(outcome::ok));
    d.feed(probe(outcome::ok));
    CHECK(d.engine.at_rest());  // a healthy route saves nothing
    CHECK(d.engine.to_json()["rules"].empty());
    d.feed(probe(outcome::wrong_answer));  // one bad evaluation: a streak worth keeping
    CHECK_FALSE(d.engine.at_rest());
    const auto saved = nlohmann::json::parse(d.engine.to_json().dump());
    CHECK(saved["rules"].size() == 2);
    driver restarted{rule_engine(identity(), rules), d.now};
    REQUIRE(restarted.engine.restore(saved).empty());
    CHECK(restarted.engine.statuses()[0].bad_streak == 1);
    // A saved state without rules (the route was at rest) restores every rule at rest.
    driver fresh{rule_engine(identity(), rules), d.now};
    REQUIRE(fresh.engine
                .restore(nlohmann::json{{"route", "vision-a"}, {"rules", nlohmann::json::array()}})
                .empty());
    CHECK(fresh.engine.at_rest());
    CHECK(fresh.feed(probe(outcome::wrong_answer)).empty());  // counts from zero again
    CHECK(fresh.feed(probe(outcome::wrong_answer)).size() == 1);
  }

  TEST_CASE("a malformed saved state is refused and the engine starts clean") {
    rule_engine e(identity(), rules_of({rule(alert_rule_kind::silent_failure)}));
    const auto error =
        e.restore(nlohmann::json{{"rules", {{{"rule", "silent_failure"}, {"state", "weird"}}}}});
    CHECK(error.find("vision-a") != std::string::npos);
    CHECK(e.statuses()[0].state == alert_state::inactive);
    CHECK_FALSE(e.restore(nlohmann::json::array()).empty());
    CHECK_FALSE(e.restore(nlohmann::json{{"rules", {{{"rule", "nope"}}}}}).empty());
  }

  TEST_CASE("a reload keeps unchanged rules and restarts changed ones with a resolve") {
    const auto silent = rule(alert_rule_kind::silent_failure);
    const auto down = rule(alert_rule_kind::route_down);
    driver d{rule_engine(identity(), rules_of({silent, down}))};
    d.feed(probe(outcome::wrong_answer));
    d.feed(probe(outcome::wrong_answer));
    d.feed(probe(outcome::wrong_answer));
    REQUIRE(d.state(0) == alert_state::firing);
    REQUIRE(d.state(1) == alert_state::firing);

    SUBCASE("unchanged rules (and a new repeat_interval) keep their state") {
      auto events = d.engine.reconfigure(identity(), rules_of({silent, down}, 1h), d.now);
      CHECK(events.empty());
      CHECK(d.state(0) == alert_state::firing);
      CHECK(d.state(1) == alert_state::firing);
      CHECK(d.feed(probe(outcome::wrong_answer)).empty());
    }
    SUBCASE("a changed rule resolves and starts over while the unchanged one keeps firing") {
      auto changed = down;
      changed.failure_threshold = 5;
      auto events = d.engine.reconfigure(identity(), rules_of({silent, changed}), d.now);
      REQUIRE(events.size() == 1);
      CHECK(events[0].note.rule == alert_rule_kind::route_down);
      CHECK(events[0].note.kind == notification_kind::resolved);
      CHECK(events[0].note.reason == "rule changed by a configuration reload");
      CHECK(d.state(0) == alert_state::firing);
      CHECK(d.state(1) == alert_state::inactive);
    }
    SUBCASE("a removed rule resolves") {
      auto events = d.engine.reconfigure(identity(), rules_of({silent}), d.now);
      REQUIRE(events.size() == 1);
      CHECK(events[0].note.rule == alert_rule_kind::route_down);
      CHECK(d.engine.statuses().size() == 1);
    }
  }

  TEST_CASE("editing a rule description severity or receivers keeps the incident open") {
    auto silent = rule(alert_rule_kind::silent_failure);
    driver d{rule_engine(identity(), rules_of({silent}))};
    d.feed(probe(outcome::refusal));
    const auto fired = d.feed(probe(outcome::refusal));
    REQUIRE(fired.size() == 1);
    auto edited = silent;
    edited.description = "{route} is blind: {reason}";
    edited.severity = "warning";
    auto events = d.engine.reconfigure(identity(), rules_of({edited}), d.now);
    CHECK(events.empty());
    CHECK(d.state() == alert_state::firing);
    CHECK(d.engine.statuses().at(0).fingerprint == fired[0].note.fingerprint);
    CHECK(d.feed(probe(outcome::refusal)).empty());  // no second firing
    d.feed(probe(outcome::ok));
    const auto resolved = d.feed(probe(outcome::ok));
    REQUIRE(resolved.size() == 1);
    CHECK(resolved[0].note.fingerprint == fired[0].note.fingerprint);
    CHECK(resolved[0].note.severity == "warning");
  }

  TEST_CASE("receivers dropped from a firing rule get its resolve and added ones its firing") {
    auto silent = rule(alert_rule_kind::silent_failure);
    silent.receivers = {"a", "b"};
    driver d{rule_engine(identity(), rules_of({silent}))};
    d.feed(probe(outcome::refusal));
    REQUIRE(d.feed(probe(outcome::refusal)).size() == 1);
    auto edited = silent;
    edited.receivers = {"b", "c"};
    auto events = d.engine.reconfigure(identity(), rules_of({edited}), d.now);
    REQUIRE(events.size() == 2);
    CHECK(events[0].note.kind == notification_kind::resolved);
    CHECK(events[0].note.receivers == std::vector<std::string>{"a"});
    CHECK(events[1].note.kind == notification_kind::firing);
    CHECK(events[1].note.receivers == std::vector<std::string>{"c"});
    CHECK(d.state() == alert_state::firing);
  }

  TEST_CASE("disabled rules are not evaluated") {
    auto cfg = rule(alert_rule_kind::route_down);
    cfg.enabled = false;
    driver d{rule_engine(identity(), rules_of({cfg}))};
    CHECK(d.engine.statuses().empty());
    for (int i = 0; i < 5; ++i) {
      CHECK(d.feed(probe(outcome::timeout)).empty());
    }
  }
}
