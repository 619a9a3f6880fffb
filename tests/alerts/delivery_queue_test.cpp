#include "alerts/delivery_queue.hpp"

#include <doctest/doctest.h>

#include "tests/alerts/alert_fixtures.hpp"

using namespace visionwatch;
using namespace std::chrono_literals;

namespace {

using test::t0;
/// Retries are scheduled on the steady clock; t0 is only the wall stamp.
const steady_time s0 = steady_time{} + 1'000'000h;

notification note(std::string route, notification_kind kind = notification_kind::firing) {
  notification n;
  n.kind = kind;
  n.route = std::move(route);
  n.rule = alert_rule_kind::route_down;
  n.severity = "critical";
  n.starts_at = t0;
  n.fingerprint = make_fingerprint(n.route, n.rule);
  if (kind == notification_kind::resolved) {
    n.ends_at = t0 + 1h;
  }
  return n;
}

delivery_policy policy(std::size_t capacity = 10) {
  delivery_policy p;
  p.capacity = capacity;
  p.max_attempts = 5;
  p.max_age = 1h;
  p.min_backoff = 1s;
  p.max_backoff = 60s;
  return p;
}

delivery_queue queue(std::size_t capacity = 10, double jitter = 1.0) {
  return {policy(capacity), [jitter] { return jitter; }};
}

const delivery_verdict ok{delivery_status::delivered, std::nullopt, "HTTP 200"};
const delivery_verdict retry{delivery_status::retry, std::nullopt, "HTTP 503"};
const delivery_verdict permanent{delivery_status::permanent, std::nullopt, "HTTP 400"};

/// Enqueues one firing, takes it at s0 and answers it 429 with Retry-After `wait`: the outcome.
delivery_outcome rate_limit_first(delivery_queue& q, std::chrono::seconds wait) {
  q.enqueue(note("a"), s0, t0);
  const auto head = q.take(s0);
  REQUIRE(head.has_value());
  return q.on_result(head->id, {delivery_status::retry, wait, "HTTP 429"}, s0);
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("notifications are delivered in order and one at a time") {
    auto q = queue();
    q.enqueue(note("a"), s0, t0);
    q.enqueue(note("a", notification_kind::resolved), s0, t0);
    q.enqueue(note("b"), s0, t0);
    CHECK(q.next_due() == s0);
    auto first = q.take(s0);
    REQUIRE(first.has_value());
    CHECK(first->note.route == "a");
    CHECK_FALSE(q.take(s0).has_value());  // one in flight
    CHECK_FALSE(q.next_due().has_value());
    CHECK(q.on_result(first->id, ok, s0) == delivery_outcome::delivered);
    auto second = q.take(s0);
    REQUIRE(second.has_value());
    CHECK(second->note.kind == notification_kind::resolved);
    CHECK(q.on_result(second->id, ok, s0) == delivery_outcome::delivered);
    CHECK(q.take(s0)->note.route == "b");
    CHECK(q.counters().success == 2);
  }

  TEST_CASE("a failed head blocks later notifications until it is retried so order is kept") {
    auto q = queue();
    q.enqueue(note("a"), s0, t0);
    q.enqueue(note("a", notification_kind::resolved), s0, t0);
    auto head = q.take(s0);
    CHECK(q.on_result(head->id, retry, s0) == delivery_outcome::retry_scheduled);
    CHECK_FALSE(q.take(s0 + 500ms).has_value());
    CHECK(q.next_due() == s0 + 1s);  // min_backoff with jitter 1.0
    auto again = q.take(s0 + 1s);
    REQUIRE(again.has_value());
    CHECK(again->id == head->id);
    CHECK(again->message_id == head->message_id);  // the same webhook-id on every attempt
    CHECK(again->attempts == 1);
    CHECK(again->last_error == "HTTP 503");
    CHECK(q.counters().retry == 1);
  }

  TEST_CASE("backoff doubles per attempt with jitter up to a cap") {
    auto full = queue(10, 1.0);
    CHECK(full.backoff(1) == 1s);
    CHECK(full.backoff(2) == 2s);
    CHECK(full.backoff(3) == 4s);
    CHECK(full.backoff(6) == 32s);
    CHECK(full.backoff(7) == 60s);
    CHECK(full.backoff(30) == 60s);
    CHECK(full.backoff(1000) == 60s);
    auto half = queue(10, 0.0);
    CHECK(half.backoff(1) == 500ms);  // equal jitter: at least half the step
    CHECK(half.backoff(7) == 30s);
  }

  TEST_CASE("Retry-After replaces the computed backoff") {
    auto q = queue();
    CHECK(rate_limit_first(q, 45s) == delivery_outcome::retry_scheduled);
    CHECK(q.next_due() == s0 + 45s);
    CHECK_FALSE(q.take(s0 + 44s).has_value());
    CHECK(q.take(s0 + 45s).has_value());
  }

  TEST_CASE("a Retry-After beyond max_age gives up") {
    auto q = queue();
    CHECK(rate_limit_first(q, 2h) == delivery_outcome::failed);
    CHECK(q.empty());
    CHECK(q.counters().failed == 1);
  }

  TEST_CASE("max_attempts gives up and counts a failure") {
    auto q = queue();
    q.enqueue(note("a", notification_kind::resolved), s0, t0);
    auto now = s0;
    for (int i = 1; i < 5; ++i) {
      auto head = q.take(now);
      REQUIRE(head.has_value());
      CHECK(q.on_result(head->id, retry, now) == delivery_outcome::retry_scheduled);
      now = *q.next_due();
    }
    auto last = q.take(now);
    REQUIRE(last.has_value());
    CHECK(last->attempts == 4);
    CHECK(q.on_result(last->id, retry, now) == delivery_outcome::failed);
    CHECK(q.empty());
    CHECK(q.counters().retry == 4);
    CHECK(q.counters().failed == 1);
  }

  TEST_CASE("a permanent error gives up at once") {
    auto q = queue();
    q.enqueue(note("a"), s0, t0);
    q.enqueue(note("b"), s0, t0);
    auto head = q.take(s0);
    CHECK(q.on_result(head->id, permanent, s0) == delivery_outcome::failed);
    CHECK(q.size() == 1);
    CHECK(q.take(s0)->note.route == "b");
  }

  TEST_CASE("entries older than max_age are given up") {
    auto q = queue();
    q.enqueue(note("a"), s0, t0);
    q.enqueue(note("b"), s0 + 30min, t0);
    auto head = q.take(s0);
    q.on_result(head->id, retry, s0);
    CHECK(q.expire(s0 + 59min).empty());
    const auto expired = q.expire(s0 + 1h);
    REQUIRE(expired.size() == 1);
    CHECK(expired[0].note.route == "a");
    CHECK(q.counters().failed == 1);
    CHECK(q.size() == 1);
  }

  TEST_CASE("a resolve that fails is retried like a trigger") {
    auto q = queue();
    q.enqueue(note("a", notification_kind::resolved), s0, t0);
    auto head = q.take(s0);
    CHECK(q.on_result(head->id, retry, s0) == delivery_outcome::retry_scheduled);
    CHECK(q.size() == 1);
  }

  TEST_CASE("a full queue drops the oldest non-resolve and counts it") {
    auto q = queue(3);
    q.enqueue(note("a", notification_kind::resolved), s0, t0);
    q.enqueue(note("b"), s0, t0);
    q.enqueue(note("c"), s0, t0);
    const auto dropped = q.enqueue(note("d"), s0, t0);
    REQUIRE(dropped.size() == 1);
    CHECK(dropped[0].note.route == "b");
    CHECK(q.counters().dropped == 1);
    CHECK(q.size() == 3);
    CHECK(q.items()[0].note.route == "a");
    CHECK(q.items()[1].note.route == "c");
    CHECK(q.items()[2].note.route == "d");
  }

  TEST_CASE(
      "a queue full of resolves drops the oldest waiting resolve and never the one in flight") {
    auto q = queue(2);
    q.enqueue(note("a", notification_kind::resolved), s0, t0);
    q.enqueue(note("b", notification_kind::resolved), s0, t0);
    auto head = q.take(s0);
    const auto dropped = q.enqueue(note("c", notification_kind::resolved), s0, t0);
    REQUIRE(dropped.size() == 1);
    CHECK(dropped[0].note.route == "b");
    CHECK(q.on_result(head->id, ok, s0) == delivery_outcome::delivered);
    CHECK(q.take(s0)->note.route == "c");
  }

  TEST_CASE("with room for one the in-flight entry is dropped and its result is stale") {
    auto q = queue(1);
    q.enqueue(note("a"), s0, t0);
    auto head = q.take(s0);
    CHECK(q.enqueue(note("b"), s0, t0).size() == 1);
    CHECK(q.on_result(head->id, ok, s0) == delivery_outcome::stale);
    CHECK(q.counters().success == 0);
    CHECK(q.take(s0)->note.route == "b");
  }

  TEST_CASE("a waiting reminder or refresh is replaced by the newer one") {
    auto q = queue();
    auto r1 = note("a", notification_kind::refresh);
    r1.reason = "old";
    auto r2 = r1;
    r2.reason = "new";
    q.enqueue(note("x"), s0, t0);
    q.enqueue(r1, s0, t0);
    q.enqueue(r2, s0 + 1min, t0);
    CHECK(q.size() == 2);
    CHECK(q.items()[1].note.reason == "new");
    q.enqueue(note("a", notification_kind::reminder), s0, t0);
    CHECK(q.size() == 3);
  }

  TEST_CASE("pending notifications survive a restart through JSON") {
    auto q = queue();
    q.enqueue(note("a"), s0, t0);
    q.enqueue(note("b", notification_kind::resolved), s0 + 1s, t0);
    auto head = q.take(s0);
    q.on_result(head->id, retry, s0);
    q.take(s0 + 1s);  // in flight at the time of the save: sent again after the restart
    const auto saved = nlohmann::json::parse(q.to_json(s0, t0).dump());

    auto restarted = queue();
    REQUIRE(restarted.restore(saved, s0, t0).empty());
    REQUIRE(restarted.size() == 2);
    const auto& a = restarted.items()[0];
    CHECK(a.note.route == "a");
    CHECK(a.attempts == 1);
    CHECK(a.message_id == head->message_id);
    CHECK(a.not_before == s0 + 1s);
    CHECK(a.note.fingerprint == note("a").fingerprint);
    CHECK(restarted.items()[1].note.kind == notification_kind::resolved);
    CHECK(restarted.items()[1].note.ends_at == t0 + 1h);
    auto again = restarted.take(s0 + 1s);
    REQUIRE(again.has_value());
    CHECK(again->note.route == "a");
    // New entries get fresh ids.
    restarted.enqueue(note("c"), s0, t0);
    CHECK(restarted.items()[2].id > restarted.items()[1].id);
  }

  TEST_CASE("a malformed saved queue is refused and leaves the queue empty") {
    auto q = queue();
    q.enqueue(note("a"), s0, t0);
    CHECK_FALSE(
        q.restore(nlohmann::json{{"next_id", 3}, {"items", {{{"id", 1}}}}}, s0, t0).empty());
    CHECK(q.empty());
    CHECK_FALSE(q.restore(nlohmann::json("nope"), s0, t0).empty());
  }

  TEST_CASE("restoring into a smaller queue keeps the newest entries") {
    auto q = queue(5);
    for (const char* r : {"a", "b", "c", "d"}) {
      q.enqueue(note(r), s0, t0);
    }
    auto small = queue(2);
    REQUIRE(small.restore(q.to_json(s0, t0), s0, t0).empty());
    REQUIRE(small.size() == 2);
    CHECK(small.items()[0].note.route == "c");
  }

  TEST_CASE("an Alertmanager queue sends the due head in one batch and keeps one entry per alert") {
    receiver_config r;
    r.name = "am";
    r.kind = receiver_kind::alertmanager;
    auto p = delivery_policy::from(r);
    p.capacity = 3;
    delivery_queue q(p, [] { return 1.0; });
    // A whole gateway down: many firings, refreshes and resolves of the same few alerts.
    for (int round = 0; round < 50; ++round) {
      for (const auto* route : {"a", "b", "c"}) {
        CHECK(q.enqueue(
                   note(route,
                        round % 2 == 0 ? notification_kind::firing : notification_kind::resolved),
                   s0,
                   t0)
                  .empty());
      }
    }
    CHECK(q.size() == 3);
    CHECK(q.counters().dropped == 0);
    const auto batch = q.take_batch(s0);
    REQUIRE(batch.size() == 3);
    CHECK(batch[0].note.route == "a");
    CHECK(batch[2].note.route == "c");
    CHECK(batch[0].note.kind == notification_kind::resolved);  // the latest state won
    CHECK(q.take_batch(s0).empty());                           // one request in flight
    std::vector<std::uint64_t> ids;
    ids.reserve(batch.size());
    for (const auto& b : batch) {
      ids.push_back(b.id);
    }
    CHECK(q.on_result(ids, {delivery_status::retry, std::nullopt, "HTTP 503"}, s0) ==
          delivery_outcome::retry_scheduled);
    CHECK(q.size() == 3);
    CHECK(q.counters().retry == 3);
    const auto again = q.take_batch(s0 + 2s);
    REQUIRE(again.size() == 3);
    ids.clear();
    for (const auto& b : again) {
      ids.push_back(b.id);
    }
    CHECK(q.on_result(ids, {delivery_status::delivered, std::nullopt, "HTTP 200"}, s0 + 2s) ==
          delivery_outcome::delivered);
    CHECK(q.empty());
    CHECK(q.counters().success == 3);
  }

  TEST_CASE("dropping everything counts each entry as dropped") {
    auto q = queue();
    q.enqueue(note("a"), s0, t0);
    q.enqueue(note("b"), s0, t0);
    REQUIRE(q.take(s0));
    const auto dropped = q.drop_all();
    CHECK(dropped.size() == 2);
    CHECK(q.empty());
    CHECK_FALSE(q.in_flight());
    CHECK(q.counters().dropped == 2);
  }

  TEST_CASE("retries are scheduled on the steady clock whatever wall stamp an entry carries") {
    auto q = queue();
    // The wall stamp a day in the past (a clock stepped back) changes nothing about timing.
    q.enqueue(note("a"), s0, t0 - 24h);
    auto head = q.take(s0);
    REQUIRE(head.has_value());
    CHECK(head->enqueued_at == t0 - 24h);
    CHECK(q.on_result(head->id, retry, s0) == delivery_outcome::retry_scheduled);
    CHECK(q.next_due() == s0 + 1s);
    CHECK(q.expire(s0 + 59min).empty());  // max_age 1h counted on the steady clock
    CHECK(q.expire(s0 + 1h).size() == 1);
  }

  TEST_CASE("a restore maps saved times onto the steady clock and clamps a stepped wall clock") {
    auto q = queue();
    q.enqueue(note("a"), s0, t0);
    auto head = q.take(s0);
    q.on_result(head->id, retry, s0);  // due at s0 + 1s
    const auto saved = nlohmann::json::parse(q.to_json(s0, t0).dump());
    CHECK(saved["items"][0]["not_before_ms"] == to_epoch_ms(t0 + 1s));
    CHECK(saved["items"][0]["enqueued_at_ms"] == to_epoch_ms(t0));

    const steady_time s1 = s0 + 5'000h;  // another boot: an unrelated steady epoch
    // The restart took 500 ms of wall time: the retry is due 500 ms after it.
    auto soon = queue();
    REQUIRE(soon.restore(saved, s1, t0 + 500ms).empty());
    CHECK(soon.next_due() == s1 + 500ms);
    // The wall clock stepped back a year across the restart: due at most max_age away, never
    // a year later; the age is never negative.
    auto back = queue();
    REQUIRE(back.restore(saved, s1, t0 - 24h * 365).empty());
    CHECK(*back.next_due() <= s1 + 1h);
    CHECK(back.items()[0].queued_since == s1);
    // Stepped forward a year: the entry is as old as max_age allows, and due now.
    auto ahead = queue();
    REQUIRE(ahead.restore(saved, s1, t0 + 24h * 365).empty());
    CHECK(ahead.next_due() == s1);
    CHECK(ahead.items()[0].queued_since == s1 - 1h);
  }
}
