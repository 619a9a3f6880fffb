#include "alerts/alert_router.hpp"

#include <doctest/doctest.h>

#include "tests/alerts/alert_fixtures.hpp"

using namespace visionwatch;
using namespace std::chrono_literals;

namespace {

using test::t0;

receiver_config receiver(std::string name, receiver_kind kind) {
  receiver_config r;
  r.name = std::move(name);
  r.kind = kind;
  r.url = "http://127.0.0.1:1/";
  r.resend_interval = 60s;
  return r;
}

probe_result probe(std::string route, outcome o) {
  probe_result r;
  r.route = std::move(route);
  r.result = o;
  return r;
}

struct sent_log {
  std::vector<std::pair<std::string, notification>> sent;
  alert_router::deliver_function fn() {
    return [this](const std::string& r, const notification& n) { sent.emplace_back(r, n); };
  }
  [[nodiscard]] std::size_t count(std::string_view receiver, notification_kind kind) const {
    std::size_t n = 0;
    for (const auto& [r, note] : sent) {
      n += r == receiver && note.kind == kind ? 1 : 0;
    }
    return n;
  }
};

alert_rules_config down_rule(std::vector<std::string> receivers = {}) {
  alert_rules_config c;
  auto r = default_rule_config(alert_rule_kind::route_down);
  r.receivers = std::move(receivers);
  c.rules = {r};
  return c;
}

using test::route_id;

/// A router with one webhook receiver, "hook", delivering into `log`.
alert_router hook_router(sent_log& log) {
  return alert_router({receiver("hook", receiver_kind::webhook)}, log.fn());
}

/// A router with an Alertmanager receiver, "am", and a webhook receiver, "hook", delivering into
/// `log`.
alert_router am_and_hook_router(sent_log& log) {
  return alert_router(
      {receiver("am", receiver_kind::alertmanager), receiver("hook", receiver_kind::webhook)},
      log.fn());
}

/// Three timeouts of each of `routes`, `step` apart after t0 (route_down fires on the third).
struct failed_probes {
  wall_time last = t0;     ///< when the third timeout came
  std::size_t events = 0;  ///< the events the router announced for them
};
failed_probes fail_three_times(alert_router& router,
                               const std::vector<std::string>& routes,
                               std::chrono::seconds step) {
  failed_probes out;
  for (int i = 0; i < 3; ++i) {
    out.last += step;
    for (const auto& r : routes) {
      out.events += router.on_probe(probe(r, outcome::timeout), {}, out.last).size();
    }
  }
  return out;
}

/// Routes a and b on a hook_router, a firing: route_down after three timeouts a minute apart.
struct a_firing {
  sent_log log;
  alert_router router = hook_router(log);
  a_firing() {
    router.set_route(route_id("a"), down_rule(), t0);
    router.set_route(route_id("b"), down_rule(), t0);
    fail_three_times(router, {"a"}, 1min);
  }
};

/// The router's state as the state file keeps it.
nlohmann::json saved_state(const alert_router& router) {
  return nlohmann::json::parse(router.to_json().dump());
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("announced events go to every receiver or to the rule's receivers") {
    sent_log log;
    alert_router router(
        {receiver("hook", receiver_kind::webhook), receiver("pd", receiver_kind::pagerduty)},
        log.fn());
    router.set_route(route_id("a"), down_rule(), t0);
    router.set_route(route_id("b"), down_rule({"pd"}), t0);
    const auto now = fail_three_times(router, {"a", "b"}, 1min).last;
    CHECK(log.count("hook", notification_kind::firing) == 1);
    CHECK(log.count("pd", notification_kind::firing) == 2);
    CHECK(router.on_probe(probe("unknown", outcome::timeout), {}, now).empty());
  }

  TEST_CASE("a silenced route keeps its state but nothing is delivered") {
    sent_log log;
    auto router = hook_router(log);
    router.set_route(route_id("a"), down_rule(), t0);
    REQUIRE(router.silences().add("a", t0 + 1h, "maintenance", t0).value);
    CHECK(fail_three_times(router, {"a"}, 1min).events == 1);
    CHECK(log.sent.empty());
    CHECK(router.suppressed_total() == 1);
    CHECK(router.route("a")->statuses()[0].state == alert_state::firing);
    // After the silence: the firing is announced at the next probe.
    router.on_probe(probe("a", outcome::timeout), {}, t0 + 2h);
    CHECK(log.count("hook", notification_kind::firing) == 1);
  }

  TEST_CASE("Alertmanager receivers get the firing alert again every resend_interval") {
    sent_log log;
    auto router = am_and_hook_router(log);
    router.set_route(route_id("a"), down_rule(), t0);
    auto now = fail_three_times(router, {"a"}, 20s).last;
    CHECK(log.count("am", notification_kind::firing) == 1);
    /// One more probe `after` the previous one, and how many `kind` Alertmanager has got then.
    struct probe_step {
      std::chrono::seconds after;
      outcome result;
      notification_kind kind;
      std::size_t sent;
    };
    for (const auto& step : {
             probe_step{30s, outcome::timeout, notification_kind::refresh, 0},
             probe_step{30s, outcome::timeout, notification_kind::refresh, 1},
             probe_step{60s, outcome::ok, notification_kind::refresh, 2},
             probe_step{60s, outcome::ok, notification_kind::resolved, 1},  // resolves
             probe_step{60s, outcome::ok, notification_kind::refresh, 2},
         }) {
      now += step.after;
      router.on_probe(probe("a", step.result), {}, now);
      CAPTURE((now - t0).count());
      CHECK(log.count("am", step.kind) == step.sent);
      CHECK(log.count("hook", notification_kind::refresh) == 0);  // only Alertmanager re-sends
    }
  }

  TEST_CASE("firing alerts reach Alertmanager every resend_interval without probes") {
    // A route probed every 10 minutes with a 60 s resend_interval: Alertmanager would let the
    // alert expire (endsAt = 4 minutes after a send) between two probes.
    sent_log log;
    auto router = am_and_hook_router(log);
    router.set_route(route_id("a"), down_rule(), t0);
    router.set_route(route_id("quiet"), down_rule(), t0);
    auto now = fail_three_times(router, {"a"}, 10min).last;
    REQUIRE(log.count("am", notification_kind::firing) == 1);
    /// A refresh tick `at` after the firing, and the re-sends Alertmanager has got then.
    struct tick {
      std::chrono::seconds at;
      std::size_t refreshes;
    };
    for (const auto& t : {
             tick{30s, 0},  // sent 30 s ago
             tick{61s, 1},
             tick{90s, 1},
             tick{125s, 2},
         }) {
      router.refresh_alertmanager(now + t.at);
      CAPTURE(t.at.count());
      CHECK(log.count("am", notification_kind::refresh) == t.refreshes);
    }
    CHECK(log.count("hook", notification_kind::refresh) == 0);  // only Alertmanager re-sends
    // A silence stops the re-sends here too, not only on probes.
    const auto silence = router.silences().add("a", now + 1h, "", now + 125s);
    REQUIRE(silence.value);
    router.refresh_alertmanager(now + 200s);
    CHECK(log.count("am", notification_kind::refresh) == 2);
    REQUIRE(router.silences().remove(silence.value->id));
    router.refresh_alertmanager(now + 201s);
    CHECK(log.count("am", notification_kind::refresh) == 3);
    // Once resolved, nothing more is re-sent.
    now += 10min;
    router.on_probe(probe("a", outcome::ok), {}, now);
    now += 10min;
    router.on_probe(probe("a", outcome::ok), {}, now);
    REQUIRE(log.count("am", notification_kind::resolved) == 1);
    const auto refreshes = log.count("am", notification_kind::refresh);
    router.refresh_alertmanager(now + 1h);
    CHECK(log.count("am", notification_kind::refresh) == refreshes);
  }

  TEST_CASE("a route removed by a reload resolves its announced alerts") {
    a_firing f;
    auto& [log, router] = f;
    const auto events = router.retain_routes({"b"}, t0 + 5min);
    REQUIRE(events.size() == 1);
    CHECK(events[0].note.kind == notification_kind::resolved);
    CHECK(log.count("hook", notification_kind::resolved) == 1);
    CHECK(router.route("a") == nullptr);
    CHECK(router.route("b") != nullptr);
  }

  TEST_CASE("alert state and silences survive a restart through the router") {
    sent_log log;
    auto router = hook_router(log);
    router.set_route(route_id("a"), down_rule(), t0);
    router.silences().add("b", t0 + 1h, "", t0);
    fail_three_times(router, {"a"}, 1min);
    const auto saved = saved_state(router);

    sent_log log2;
    auto restarted = hook_router(log2);
    restarted.set_route(route_id("a"), down_rule(), t0);
    CHECK(restarted.restore(saved, t0 + 1h).empty());
    CHECK(restarted.silences().is_silenced("b", t0 + 10min));
    restarted.on_probe(probe("a", outcome::timeout), {}, t0 + 10min);
    CHECK(log2.sent.empty());  // still firing, no second firing
    CHECK_FALSE(restarted.restore(nlohmann::json("junk"), t0 + 1h).empty());
  }

  TEST_CASE("a firing route missing from the config after a restart is resolved at start-up") {
    a_firing f;
    auto& [log, router] = f;
    REQUIRE(log.count("hook", notification_kind::firing) == 1);
    const auto fingerprint = log.sent.at(0).second.fingerprint;
    const auto saved = saved_state(router);

    sent_log log2;
    auto restarted = hook_router(log2);
    restarted.set_route(route_id("b"), down_rule(), t0 + 1h);  // route a left the config
    CHECK(restarted.restore(saved, t0 + 1h).empty());
    REQUIRE(log2.count("hook", notification_kind::resolved) == 1);
    CHECK(log2.sent.at(0).second.fingerprint == fingerprint);
    CHECK(log2.sent.at(0).second.route == "a");
    CHECK(restarted.route("a") == nullptr);
    CHECK(restarted.to_json()["routes"].empty());
  }

  TEST_CASE("a firing rule disabled while the daemon was stopped is resolved at start-up") {
    sent_log log;
    auto router = hook_router(log);
    router.set_route(route_id("a"), down_rule({"hook"}), t0);
    fail_three_times(router, {"a"}, 1min);
    const auto saved = saved_state(router);

    sent_log log2;
    alert_router restarted(
        {receiver("hook", receiver_kind::webhook), receiver("other", receiver_kind::webhook)},
        log2.fn());
    auto off = down_rule();
    off.rules[0].enabled = false;
    restarted.set_route(route_id("a"), off, t0 + 1h);
    CHECK(restarted.restore(saved, t0 + 1h).empty());
    // The resolve goes to the receivers that had the firing, not to every receiver.
    CHECK(log2.count("hook", notification_kind::resolved) == 1);
    CHECK(log2.count("other", notification_kind::resolved) == 0);
  }
}
