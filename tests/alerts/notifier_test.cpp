#include "alerts/notifier.hpp"

#include <doctest/doctest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <deque>
#include <functional>

#include "tests/support/run_until.hpp"

using namespace visionwatch;
using namespace std::chrono_literals;

namespace {

notification down_note(std::string route) {
  notification n;
  n.route = std::move(route);
  n.rule = alert_rule_kind::route_down;
  n.severity = "critical";
  n.summary = "down";
  n.starts_at = wall_clock::now();
  n.fingerprint = make_fingerprint(n.route, n.rule);
  return n;
}

http_result status(unsigned s) {
  http_result r;
  r.status = s;
  return r;
}

using test::run_until;

/// `n.run()` spawned on `ctx`; finish() stops the notifier and waits until run() has returned.
struct spawned_run {
  net::io_context& ctx;
  notifier& n;
  bool finished = false;

  spawned_run(net::io_context& c, notifier& notifier_to_run) : ctx(c), n(notifier_to_run) {
    net::co_spawn(ctx, n.run(), [this](std::exception_ptr) { finished = true; });
  }
  spawned_run(const spawned_run&) = delete;
  spawned_run& operator=(const spawned_run&) = delete;
  void finish() {
    n.stop();
    REQUIRE(run_until(ctx, [this] { return finished; }));
  }
};

struct fake_receiver {
  std::vector<http_request> sent;
  std::deque<http_result> replies;

  notifier::send_function sender() {
    return [this](http_request request) -> net::awaitable<http_result> {
      sent.push_back(std::move(request));
      auto r = replies.empty() ? status(200) : replies.front();
      if (!replies.empty()) {
        replies.pop_front();
      }
      co_return r;
    };
  }
};

receiver_config webhook() {
  receiver_config r;
  r.name = "hook";
  r.kind = receiver_kind::webhook;
  r.url = "http://127.0.0.1:1/hook";
  r.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  r.min_backoff = 1ms;
  r.max_backoff = 4ms;
  return r;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the notifier sends what is queued in order and counts deliveries") {
    net::io_context ctx;
    fake_receiver fake;
    notifier n(ctx.get_executor(), webhook(), {}, fake.sender(), [] { return 0.5; });
    bool finished = false;
    net::co_spawn(ctx, n.run(), [&](std::exception_ptr e) {
      finished = true;
      if (e) {
        std::rethrow_exception(e);
      }
    });
    n.enqueue(down_note("a"));
    n.enqueue(down_note("b"));
    REQUIRE(run_until(ctx, [&] { return n.counters().success == 2; }));
    REQUIRE(fake.sent.size() == 2);
    CHECK(nlohmann::json::parse(fake.sent[0].body)["route"] == "a");
    CHECK(nlohmann::json::parse(fake.sent[1].body)["route"] == "b");
    CHECK(fake.sent[0].timeout == 10'000ms);
    bool signed_request = false;
    for (const auto& [k, v] : fake.sent[0].headers) {
      signed_request = signed_request || k == "webhook-signature";
    }
    CHECK(signed_request);
    CHECK(n.depth() == 0);

    // Enqueueing wakes the idle loop.
    n.enqueue(down_note("c"));
    REQUIRE(run_until(ctx, [&] { return n.counters().success == 3; }));
    n.stop();
    REQUIRE(run_until(ctx, [&] { return finished; }));
  }

  TEST_CASE("the notifier retries a failed delivery with the same message id") {
    net::io_context ctx;
    fake_receiver fake;
    fake.replies = {status(503), status(429), status(204)};
    notifier n(ctx.get_executor(), webhook(), {}, fake.sender(), [] { return 0.0; });
    spawned_run running(ctx, n);
    n.enqueue(down_note("a"));
    REQUIRE(run_until(ctx, [&] { return n.counters().success == 1; }));
    CHECK(n.counters().retry == 2);
    REQUIRE(fake.sent.size() == 3);
    auto id = [](const http_request& r) {
      for (const auto& [k, v] : r.headers) {
        if (k == "webhook-id") {
          return v;
        }
      }
      return std::string();
    };
    CHECK(id(fake.sent[0]) == id(fake.sent[2]));
    running.finish();
  }

  TEST_CASE("a permanent error is counted failed and the next notification goes out") {
    net::io_context ctx;
    fake_receiver fake;
    fake.replies = {status(400), status(200)};
    notifier n(ctx.get_executor(), webhook(), {}, fake.sender(), [] { return 0.0; });
    spawned_run running(ctx, n);
    n.enqueue(down_note("a"));
    n.enqueue(down_note("b"));
    REQUIRE(run_until(ctx, [&] { return n.counters().success == 1; }));
    CHECK(n.counters().failed == 1);
    running.finish();
  }

  TEST_CASE("cancelling the run coroutine ends it while idle") {
    net::io_context ctx;
    fake_receiver fake;
    notifier n(ctx.get_executor(), webhook(), {}, fake.sender(), [] { return 0.0; });
    net::cancellation_signal signal;
    bool finished = false;
    net::co_spawn(ctx, n.run(), net::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr) {
                    finished = true;
                  }));
    n.enqueue(down_note("a"));
    REQUIRE(run_until(ctx, [&] { return n.counters().success == 1; }));
    signal.emit(net::cancellation_type::terminal);
    REQUIRE(run_until(ctx, [&] { return finished; }));
  }

  TEST_CASE("an unusable receiver is refused at construction") {
    net::io_context ctx;
    fake_receiver fake;
    auto r = webhook();
    r.secret = "not-a-secret";
    CHECK_THROWS_AS(notifier(ctx.get_executor(), r, {}, fake.sender(), [] { return 0.0; }),
                    std::invalid_argument);
  }

  TEST_CASE("an Alertmanager notifier posts the queued alerts in one batch") {
    net::io_context ctx;
    fake_receiver fake;
    receiver_config am;
    am.name = "am";
    am.kind = receiver_kind::alertmanager;
    am.url = "http://127.0.0.1:1";
    notifier n(ctx.get_executor(), am, {}, fake.sender(), [] { return 0.5; });
    // Queued before the loop runs, as after an outage: one request carries them all.
    for (const auto* route : {"a", "b", "c", "d"}) {
      n.enqueue(down_note(route));
    }
    spawned_run running(ctx, n);
    REQUIRE(run_until(ctx, [&] { return n.counters().success == 4; }));
    REQUIRE(fake.sent.size() == 1);
    CHECK(nlohmann::json::parse(fake.sent[0].body).size() == 4);
    running.finish();
  }

  TEST_CASE("a retired notifier delivers its queue then ends and drops what its deadline cuts") {
    net::io_context ctx;
    fake_receiver fake;
    notifier n(ctx.get_executor(), webhook(), {}, fake.sender(), [] { return 0.5; });
    n.enqueue(down_note("a"));
    n.enqueue(down_note("b"));
    n.retire(std::chrono::steady_clock::now() + 1h);
    spawned_run running(ctx, n);
    REQUIRE(run_until(ctx, [&] { return running.finished; }));
    CHECK(n.counters().success == 2);

    fake_receiver down;
    for (int i = 0; i < 1000; ++i) {
      down.replies.push_back(status(503));
    }
    auto r = webhook();
    r.max_attempts = 1000;
    net::io_context ctx2;  // ctx ran out of work and stopped
    notifier m(ctx2.get_executor(), r, {}, down.sender(), [] { return 0.5; });
    m.enqueue(down_note("a"));
    m.retire(std::chrono::steady_clock::now() + 200ms);
    bool ended = false;
    net::co_spawn(ctx2, m.run(), [&](std::exception_ptr) { ended = true; });
    REQUIRE(run_until(ctx2, [&] { return ended; }));
    CHECK(down.sent.size() >= 1);
    CHECK(m.counters().dropped == 1);
    CHECK(m.depth() == 0);
  }
}

TEST_SUITE("unit") {
  TEST_CASE("a wall clock stepped back a day does not stall a scheduled retry") {
    net::io_context ctx;
    fake_receiver fake;
    fake.replies = {status(503), status(204)};
    auto wall = wall_clock::now();
    // The wall clock steps back a day right after the first (failed) attempt was judged, as an
    // NTP step can: the retry is still due min_backoff after the failure, not a day later.
    int reads_after_send = 0;
    notifier n(
        ctx.get_executor(),
        webhook(),
        {},
        fake.sender(),
        [] { return 0.5; },
        [&] { return fake.sent.empty() || ++reads_after_send == 1 ? wall : wall - 24h; });
    spawned_run running(ctx, n);
    n.enqueue(down_note("a"));
    REQUIRE(run_until(ctx, [&] { return n.counters().success == 1 || running.finished; }));
    CHECK(n.counters().retry == 1);
    CHECK(n.counters().success == 1);
    running.finish();
  }

  TEST_CASE("a wall clock stepped forward a day neither expires nor bursts queued retries") {
    net::io_context ctx;
    fake_receiver fake;
    fake.replies = {status(503), status(204)};
    auto r = webhook();
    r.max_age = 1h;
    auto wall = wall_clock::now();
    notifier n(
        ctx.get_executor(),
        r,
        {},
        fake.sender(),
        [] { return 0.5; },
        [&] { return fake.sent.empty() ? wall : wall + 24h; });
    spawned_run running(ctx, n);
    n.enqueue(down_note("a"));
    REQUIRE(run_until(ctx, [&] { return n.counters().success + n.counters().failed == 1; }));
    CHECK(n.counters().failed == 0);  // max_age counts elapsed time, not the wall clock's step
    CHECK(n.counters().success == 1);
    CHECK(fake.sent.size() == 2);
    running.finish();
  }
}
