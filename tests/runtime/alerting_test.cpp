// The alerting glue (daemon/runtime/alerting.*) with real notifiers and http clients delivering
// to a loopback webhook sink: restarts through the state file, reloads that remove routes and
// receivers, and the identity (fingerprint) receivers see. Waits are on the sink's requests or
// on the io_context's handlers, each with a deadline.

#include "daemon/runtime/alerting.hpp"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "exporters/metrics.hpp"
#include "tests/support/run_until.hpp"
#include "tests/support/test_paths.hpp"
#include "tests/support/webhook_sink.hpp"

using nlohmann::json;
using namespace std::chrono_literals;
using namespace visionwatch;
using namespace visionwatch::test;

namespace {

struct setup {
  /// A fresh state directory named after `prefix`, the receivers and the routes.
  setup(const std::string& prefix,
        std::string receivers_yaml,
        std::vector<std::string> names = {"vision-a"})
      : state_dir(make_temp_dir(prefix)),
        routes(std::move(names)),
        receivers(std::move(receivers_yaml)) {}

  std::filesystem::path state_dir;
  std::vector<std::string> routes = {"vision-a"};
  std::string receivers;  ///< YAML list items under `receivers:`
  std::string silences;   ///< YAML list items under `silences:` (may be empty)
  std::string description = "{route} is blind";
  std::string labels = "{region: eu}";
};

std::string hook(const std::string& name, const std::string& url, int max_attempts = 12) {
  return "  - {name: " + name + ", type: webhook, url: \"" + url +
         "\", timeout: 300ms, min_backoff: 50ms, max_backoff: 100ms, max_attempts: " +
         std::to_string(max_attempts) + "}\n";
}

config make_config(const setup& s) {
  std::string y = "global:\n  listen: \"127.0.0.1:0\"\n  state_dir: \"" + s.state_dir.string() +
                  "\"\n  external_labels: " + s.labels + "\n";
  y += R"(defaults:
  alerts:
    rules:
      route_down: {failure_threshold: 2, success_threshold: 2, description: ")" +
       s.description + R"("}
      silent_failure: {enabled: false}
      success_ratio: {enabled: false}
gateways:
  - {name: gw, base_url: "http://127.0.0.1:1", api: openai-chat, proxy_url: none}
routes:
)";
  for (const auto& r : s.routes) {
    y += "  - {name: " + r + ", gateway: gw, model: m, challenge: {kind: digits}}\n";
  }
  y += "receivers:\n" + s.receivers;
  if (!s.silences.empty()) {
    y += "silences:\n" + s.silences;
  }
  auto res = parse_config(y, "alerting-test.yaml");
  if (!res.value) {
    std::string all;
    for (const auto& e : res.errors) {
      all += e.to_string() + "\n";
    }
    FAIL("bad test config: " << all << y);
  }
  return std::move(*res.value);
}

probe_result probe(const std::string& route, outcome o) {
  probe_result r;
  r.route = route;
  r.result = o;
  r.reason = o == outcome::ok ? "" : "test failure";
  return r;
}

/// One daemon life: the io_context the service would run, metrics and the alerting glue.
struct instance {
  net::io_context io;
  metrics m{{{"region", "eu"}}, "test", "test"};
  config cfg;
  std::unique_ptr<alerting> a;

  explicit instance(config c) : cfg(std::move(c)) {
    a = std::make_unique<alerting>(io.get_executor(), m, cfg);
    a->start();
  }
  ~instance() {
    if (!a) {
      return;
    }
    try {
      shut_down();
    } catch (...) {  // a destructor must not throw: the test fails instead
      FAIL_CHECK("the alerting did not shut down cleanly");
    }
  }
  instance(const instance&) = delete;
  instance& operator=(const instance&) = delete;

  /// Runs handlers until `done` holds or 10 s pass.
  bool run_until(const std::function<bool()>& done) {
    return visionwatch::test::run_until(io, done, 10s);
  }
  void feed(const std::string& route, outcome o, int times) {
    for (int i = 0; i < times; ++i) {
      a->on_probe(probe(route, o), window_figures{});
    }
  }
  void reload(config c) {
    cfg = std::move(c);
    a->apply(cfg);
  }
  /// The service's order: stop the notifiers (a request in flight finishes), then save.
  void shut_down() {
    bool stopped = false;
    net::co_spawn(io, a->stop(1s), [&](std::exception_ptr) { stopped = true; });
    run_until([&] { return stopped; });
    a->save({});
    a.reset();
  }
  double notifications(const std::string& receiver, const std::string& result) {
    a->sync_metrics();
    const auto text = m.render();
    const auto needle =
        "visionwatch_notifications_total{receiver=\"" + receiver + "\",result=\"" + result + "\"";
    const auto at = text.find(needle);
    if (at == std::string::npos) {
      return -1;
    }
    const auto line_end = text.find('\n', at);
    const auto space = text.rfind(' ', line_end);
    return std::stod(text.substr(space + 1, line_end - space - 1));
  }
};

std::vector<json> bodies(const webhook_sink& sink) {
  const auto delivered = sink.delivered();
  std::vector<json> out;
  out.reserve(delivered.size());
  for (const auto& r : delivered) {
    out.push_back(json::parse(r.body, nullptr, false));
  }
  return out;
}

std::size_t count(const webhook_sink& sink, const std::string& route, const std::string& event) {
  std::size_t n = 0;
  for (const auto& b : bodies(sink)) {
    n += b.value("route", "") == route && b.value("event", "") == event ? 1 : 0;
  }
  return n;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("a route removed while the daemon was stopped gets its resolve at start-up") {
    webhook_sink sink;
    setup s("vw-alerting-restart", hook("hook", sink.url()), {"vision-a", "vision-b"});
    std::string fingerprint;
    {
      instance one(make_config(s));
      one.feed("vision-a", outcome::timeout, 2);
      REQUIRE(one.run_until([&] { return count(sink, "vision-a", "firing") == 1; }));
      fingerprint = bodies(sink).at(0).value("fingerprint", "");
    }
    s.routes = {"vision-b"};
    instance two(make_config(s));
    REQUIRE(two.run_until([&] { return count(sink, "vision-a", "resolved") == 1; }));
    const auto all = bodies(sink);
    CHECK(all.back().value("fingerprint", "") == fingerprint);
    CHECK(count(sink, "vision-a", "firing") == 1);
  }

  TEST_CASE("a config silence changed across a restart follows the new config") {
    webhook_sink sink;
    setup s("vw-alerting-silence", hook("hook", sink.url()), {"vision-a", "vision-b"});
    s.silences = "  - {route: vision-a, until: \"2200-01-01T00:00:00Z\", comment: old}\n";
    {
      instance one(make_config(s));
      REQUIRE(one.a->silences_json().size() == 1);
    }
    s.silences = "  - {route: vision-b, until: \"2200-01-01T00:00:00Z\", comment: new}\n";
    instance two(make_config(s));
    const auto list = two.a->silences_json();
    REQUIRE(list.size() == 1);
    CHECK(list[0]["route"] == "vision-b");
    CHECK(list[0]["source"] == "config");
    // vision-a is no longer silenced: its firing goes out.
    two.feed("vision-a", outcome::timeout, 2);
    CHECK(two.run_until([&] { return count(sink, "vision-a", "firing") == 1; }));
  }

  TEST_CASE("a receiver removed by a reload delivers its pending queue before it retires") {
    webhook_sink kept;
    webhook_sink removed;
    setup s("vw-alerting-retire", hook("kept", kept.url()) + hook("gone", removed.url()));
    instance one(make_config(s));
    removed.answer_with(503);  // the firing waits in gone's queue, retrying
    one.feed("vision-a", outcome::timeout, 2);
    REQUIRE(one.run_until([&] { return kept.delivered().size() == 1 && removed.count() >= 1; }));
    removed.answer_with(200);
    s.receivers = hook("kept", kept.url());
    s.routes = {"vision-b"};  // the same reload resolves vision-a: gone had the firing
    one.reload(make_config(s));
    REQUIRE(one.run_until([&] { return count(removed, "vision-a", "resolved") == 1; }));
    CHECK(count(removed, "vision-a", "firing") == 1);
    CHECK(count(kept, "vision-a", "resolved") == 1);
    CHECK(one.run_until([&] { return one.notifications("gone", "success") == 2; }));
  }

  TEST_CASE("a removed receiver that cannot deliver counts its queue as dropped") {
    webhook_sink removed;
    // More attempts than the drain window holds: the deadline, not max_attempts, ends it.
    setup s("vw-alerting-drop",
            hook("gone", removed.url(), 1000) + hook("kept", removed.url() + "?kept"));
    instance one(make_config(s));
    removed.answer_with(503);
    one.feed("vision-a", outcome::timeout, 2);
    REQUIRE(one.run_until([&] { return removed.count() >= 2; }));
    s.receivers = hook("kept", removed.url() + "?kept");
    one.reload(make_config(s));
    // Nothing is lost silently: every pending notification of "gone" ends up counted.
    CHECK(one.run_until([&] { return one.notifications("gone", "dropped") >= 1; }));
  }

  TEST_CASE("editing a rule description keeps the fingerprint and sends no resolve") {
    webhook_sink sink;
    setup s("vw-alerting-edit", hook("hook", sink.url()));
    instance one(make_config(s));
    one.feed("vision-a", outcome::timeout, 2);
    REQUIRE(one.run_until([&] { return count(sink, "vision-a", "firing") == 1; }));
    s.description = "{route} is down hard: {reason}";
    one.reload(make_config(s));
    one.feed("vision-a", outcome::ok, 2);
    REQUIRE(one.run_until([&] { return count(sink, "vision-a", "resolved") == 1; }));
    const auto all = bodies(sink);
    REQUIRE(all.size() == 2);  // no resolve+refire at the reload
    CHECK(all[0].value("fingerprint", "") == all[1].value("fingerprint", ""));
    CHECK(all[1].value("summary", "").starts_with("vision-a is down hard"));
  }

  TEST_CASE("two instances with the same labels give an alert the same fingerprint") {
    webhook_sink sink;
    setup s("vw-alerting-ha-1", hook("hook", sink.url()));
    setup peer = s;
    peer.state_dir = make_temp_dir("vw-alerting-ha-2");
    instance one(make_config(s));
    instance two(make_config(peer));
    one.feed("vision-a", outcome::timeout, 2);
    two.feed("vision-a", outcome::timeout, 3);  // fires at another time
    REQUIRE(one.run_until([&] { return sink.delivered().size() >= 1; }));
    REQUIRE(two.run_until([&] { return sink.delivered().size() == 2; }));
    const auto all = bodies(sink);
    CHECK(all[0].value("fingerprint", "") == all[1].value("fingerprint", ""));
    CHECK(all[0].value("fingerprint", "").size() == 32);

    setup other = s;
    other.state_dir = make_temp_dir("vw-alerting-ha-3");
    other.labels = "{region: us}";
    instance three(make_config(other));
    three.feed("vision-a", outcome::timeout, 2);
    REQUIRE(three.run_until([&] { return sink.delivered().size() == 3; }));
    CHECK(bodies(sink)[2].value("fingerprint", "") != all[0].value("fingerprint", ""));
  }
}
