// End-to-end alerting: the real `visionwatch run` binary probes an in-process demo gateway whose
// model is broken and healed at run time, and notifies a fake webhook receiver or a real
// Alertmanager. Every wait polls an event with a deadline.

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "alerts/webhook_signature.hpp"
#include "daemon/sim/demo.hpp"
#include "tests/support/alertmanager_server.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_http_client.hpp"
#include "tests/support/test_paths.hpp"
#include "tests/support/wait_until.hpp"
#include "tests/support/webhook_sink.hpp"

namespace alerting_test {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;
using namespace visionwatch;
using namespace visionwatch::test;

namespace {

// The Standard Webhooks specification's example secret; handed to the daemon via secret_env.
constexpr const char* webhook_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* secret_env_name = "VW_E2E_WEBHOOK_SECRET";
constexpr const char* test_model = "vision-healthy";

struct e2e_options {
  std::string route = "vision-a";
  fs::path state_dir;
  std::string receivers;  ///< YAML list items under `receivers:`
  std::string public_url = "http://watch.example";
};

/// 1 s probes, silent_failure fires after 2 bad probes and resolves after 2 good ones; the
/// other rules are off so every notification belongs to the rule under test.
std::string config_yaml(const std::string& gateway_url, const e2e_options& o) {
  std::string y;
  y += "global:\n  listen: \"127.0.0.1:0\"\n  state_dir: \"" + o.state_dir.string() +
       "\"\n  public_url: \"" + o.public_url + "\"\n";
  y += R"(defaults:
  interval: 1s
  timeout: 1s
  baseline_interval: 10m
  window: 5
  alerts:
    repeat_interval: 1h
    rules:
      silent_failure: {failure_threshold: 2, success_threshold: 2}
      route_down: {enabled: false}
      success_ratio: {enabled: false}
)";
  y += "gateways:\n  - name: demo-gateway\n    base_url: \"" + gateway_url +
       "\"\n    api: openai-chat\n    proxy_url: none\n";
  y += "routes:\n  - {name: " + o.route + ", gateway: demo-gateway, model: " + test_model +
       ", challenge: {kind: digits}}\n";
  y += "receivers:\n" + o.receivers;
  return y;
}

std::string webhook_receiver(const webhook_sink& sink) {
  return "  - {name: hook, type: webhook, url: \"" + sink.url() +
         "\", secret_env: " + secret_env_name + "}\n";
}

/// Breaks (`behaviour`) or heals (nullopt) the demo gateway's model through its control
/// endpoint.
void set_behaviour(const demo_gateway& g, const std::optional<std::string>& behaviour) {
  const json body = {{"model", test_model},
                     {"behaviour", behaviour ? json(*behaviour) : json(nullptr)}};
  const auto r = loopback_request(port_of_url(g.base_url()), "POST", "/control", body.dump());
  REQUIRE_MESSAGE(r.status == 200, r.body);
}

/// One parsed webhook notification.
struct sink_note {
  json body;
  unsigned answered = 0;
  [[nodiscard]] std::string event() const { return body.value("event", ""); }
  [[nodiscard]] std::string fingerprint() const { return body.value("fingerprint", ""); }
};

std::vector<sink_note> notes(const std::vector<sink_request>& rs, bool delivered_only) {
  std::vector<sink_note> out;
  for (const auto& r : rs) {
    if (delivered_only && r.answered / 100 != 2) {
      continue;
    }
    auto j = json::parse(r.body, nullptr, false);
    if (j.is_object() && j.value("rule", "") == "silent_failure") {
      out.push_back({std::move(j), r.answered});
    }
  }
  return out;
}

std::size_t count_event(const std::vector<sink_note>& ns, const std::string& event) {
  std::size_t n = 0;
  for (const auto& x : ns) {
    n += x.event() == event ? 1 : 0;
  }
  return n;
}

/// Which sink requests count: those it answered 2xx, or every attempt.
constexpr bool only_delivered = true;
constexpr bool every_attempt = false;

/// Waits until the sink holds a silent_failure notification of `event`.
bool sink_has(const webhook_sink& sink,
              const std::string& event,
              bool delivered_only,
              deadline_type deadline) {
  return sink.wait_for(
      [&](const auto& rs) { return count_event(notes(rs, delivered_only), event) >= 1; }, deadline);
}

/// The silent_failure alert of `route` as /api/v1/routes shows it, or null.
json route_alert(const daemon_process& d, const std::string& route) {
  const auto r = d.get("/api/v1/routes");
  const auto j = json::parse(r.body, nullptr, false);
  if (r.status != 200 || !j.is_object() || !j.contains("routes")) {
    return nullptr;
  }
  for (const auto& rv : j["routes"]) {
    if (rv.value("route", "") == route) {
      for (const auto& a : rv["alerts"]) {
        if (a.value("rule", "") == "silent_failure") {
          return a;
        }
      }
    }
  }
  return nullptr;
}

std::string alert_state(const daemon_process& d, const std::string& route) {
  const auto a = route_alert(d, route);
  return a.is_object() ? a.value("state", "") : std::string();
}

double silent_failures(const daemon_process& d, const std::string& route) {
  return d.metric("visionwatch_silent_failures_total", {{"route", route}}).value_or(0);
}

double ok_probes(const daemon_process& d, const std::string& route) {
  return d.metric("visionwatch_probes_total", {{"route", route}, {"outcome", "ok"}}).value_or(0);
}

/// visionwatch_notifications_total of `receiver` and `result` (success, retry, ...).
double notifications(const daemon_process& d,
                     const std::string& receiver,
                     const std::string& result) {
  return d.metric("visionwatch_notifications_total", {{"receiver", receiver}, {"result", result}})
      .value_or(0);
}

/// One test's world: a temp directory, the demo gateway and a webhook sink.
struct e2e_world {
  fs::path dir = make_temp_dir("vw-e2e-alerting");
  demo_gateway gateway;
  webhook_sink sink;
  e2e_world() { gateway.start(); }
  ~e2e_world() {
    gateway.stop();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  e2e_world(const e2e_world&) = delete;
  e2e_world& operator=(const e2e_world&) = delete;

  /// The daemon on `o`'s configuration (written to <dir>/<name>.yaml), launched; start() waits
  /// until it is ready.
  daemon_process daemon(const e2e_options& o, const std::string& name = "vw") {
    const auto config = dir / (name + ".yaml");
    std::ofstream(config) << config_yaml(gateway.base_url(), o);
    return daemon_process({"run", "--config", config.string()},
                          dir / (name + ".log"),
                          {std::string(secret_env_name) + "=" + webhook_secret});
  }
  /// Breaks the route, starts `d` and waits until the incident's first firing reaches the sink
  /// (accepted, or with every_attempt only tried, for a sink that answers errors).
  void start_failing(daemon_process& d, bool delivered_only) {
    set_behaviour(gateway, "drops_image_says_so");
    REQUIRE_MESSAGE(d.start(), d.log_tail());
    REQUIRE_MESSAGE(sink_has(sink, "firing", delivered_only, after(10s)), d.log_tail());
  }
  e2e_options opts(const std::string& receivers = {}) {
    e2e_options o;
    o.state_dir = dir / "state";
    o.receivers = receivers.empty() ? webhook_receiver(sink) : receivers;
    return o;
  }
  /// Waits until the incident's resolve reaches the sink (accepted) and checks that what was
  /// delivered is one incident: its firing, then its resolve, with one fingerprint.
  std::vector<sink_note> delivered_incident(const daemon_process& d, deadline_type deadline) {
    REQUIRE_MESSAGE(sink_has(sink, "resolved", only_delivered, deadline), d.log_tail());
    auto ns = notes(sink.delivered(), true);
    REQUIRE(ns.size() == 2);
    CHECK(ns[0].event() == "firing");
    CHECK(ns[1].event() == "resolved");
    CHECK(ns[1].fingerprint() == ns[0].fingerprint());
    return ns;
  }
};

/// A world whose route is broken, its daemon started and the incident's first firing delivered.
struct failing_route {
  e2e_world w;
  e2e_options o = w.opts();
  daemon_process d = w.daemon(o);
  failing_route() { w.start_failing(d, only_delivered); }
};

/// A world whose receiver is down (answers 503) and its daemon, not started.
struct receiver_outage {
  e2e_world w;
  e2e_options o = w.opts();
  daemon_process d = w.daemon(o);
  receiver_outage() { w.sink.answer_with(503); }
};

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE("a route that drops the image pages the webhook with a signed complete body") {
    e2e_world w;
    const auto o = w.opts();
    auto d = w.daemon(o);
    REQUIRE_MESSAGE(d.start(), d.log_tail());
    // Healthy first: the route probes fine and nothing is sent.
    REQUIRE(wait_until(after(10s), [&] { return ok_probes(d, o.route) >= 1; }));
    CHECK(w.sink.count() == 0);
    const std::map<std::string, std::string> firing_series = {{"route", o.route},
                                                              {"rule", "silent_failure"}};
    CHECK(d.metric("visionwatch_alerts_firing", firing_series) == 0.0);  // created at 0

    set_behaviour(w.gateway, "drops_image_says_so");
    // Two 1 s intervals make two bad probes; the rest is scheduling slack on a loaded machine.
    REQUIRE_MESSAGE(sink_has(w.sink, "firing", only_delivered, after(6s)), d.log_tail());
    CHECK(d.metric("visionwatch_alerts_firing", firing_series) == 1.0);
    const auto rs = w.sink.delivered();
    const auto& req = rs.front();
    CHECK(req.method == "POST");
    CHECK(req.header("content-type").starts_with("application/json"));
    const auto b = json::parse(req.body);
    CHECK(b["version"] == "1");
    CHECK(b["event"] == "firing");
    CHECK(b["status"] == "firing");
    CHECK(b["route"] == o.route);
    CHECK(b["model"] == test_model);
    CHECK(b["gateway"] == "demo-gateway");
    CHECK(b["rule"] == "silent_failure");
    CHECK(b["severity"] == "critical");
    CHECK(b["summary"].get<std::string>().find(o.route) != std::string::npos);
    CHECK(b["reason"].get<std::string>().find("no_image_claim") != std::string::npos);
    CHECK(b["ends_at"].is_null());
    CHECK(std::regex_match(b["starts_at"].get<std::string>(),
                           std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)")));
    CHECK(std::regex_match(b["fingerprint"].get<std::string>(), std::regex("[0-9a-f]{32}")));
    REQUIRE(b["status_url"].is_string());
    CHECK(b["status_url"].get<std::string>().starts_with(o.public_url));
    CHECK(b["status_url"].get<std::string>().find(o.route) != std::string::npos);
    const auto& p = b["last_probe"];
    REQUIRE(p.is_object());
    CHECK(p["outcome"] == "no_image_claim");
    CHECK(!p["reason"].get<std::string>().empty());
    CHECK(p["http_status"] == 200);
    CHECK(!p["reply_excerpt"].get<std::string>().empty());
    REQUIRE(p["seed"].is_string());
    CHECK(std::regex_match(p["seed"].get<std::string>(), std::regex("[0-9]+")));

    // Standard Webhooks signature over the raw body.
    const auto id = req.header("webhook-id");
    CHECK(id == b["id"].get<std::string>());
    const auto ts_text = req.header("webhook-timestamp");
    REQUIRE(!ts_text.empty());
    const auto ts = std::stoll(ts_text);
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    CHECK(std::llabs(now - ts) < 300);
    const auto key = decode_webhook_secret(webhook_secret);
    REQUIRE(key.has_value());
    CHECK(req.header("webhook-signature") == webhook_signature(*key, id, ts, req.body));
    CHECK(req.header("webhook-signature") != webhook_signature("wrong key", id, ts, req.body));
    // The secret never shows up in the daemon's log.
    CHECK(d.log().find(webhook_secret) == std::string::npos);
    CHECK(d.stop() == 0);
  }

  TEST_CASE("healing the route sends resolved for the same incident after two good probes") {
    failing_route f;
    auto& [w, o, d] = f;
    CHECK(alert_state(d, o.route) == "firing");
    const auto ok_before = ok_probes(d, o.route);

    set_behaviour(w.gateway, std::nullopt);
    const auto ns = w.delivered_incident(d, after(10s));
    CHECK(ns[1].body["status"] == "resolved");
    CHECK(ns[1].body["starts_at"] == ns[0].body["starts_at"]);
    CHECK(ns[1].body["ends_at"].is_string());
    // Hysteresis: at least success_threshold (2) good probes came before the resolve.
    const auto ok_after = ok_probes(d, o.route);
    CHECK(ok_after - ok_before >= 2);
    CHECK(alert_state(d, o.route) != "firing");
    CHECK(d.stop() == 0);
  }

  TEST_CASE("a receiver outage delays notifications but loses none and keeps their order") {
    receiver_outage f;
    REQUIRE_MESSAGE(f.d.start(), f.d.log_tail());
    set_behaviour(f.w.gateway, "drops_image_says_so");
    // The firing is tried and refused.
    REQUIRE_MESSAGE(sink_has(f.w.sink, "firing", every_attempt, after(10s)), f.d.log_tail());
    // Heal while the receiver is still down: the resolve queues behind the firing.
    set_behaviour(f.w.gateway, std::nullopt);
    REQUIRE(wait_until(after(10s), [&] {
      const auto a = route_alert(f.d, f.o.route);
      return a.is_object() && a.value("state", "") != "firing";
    }));
    // The daemon's view (the sink's delivered() can only be empty while it answers 503).
    CHECK(notifications(f.d, "hook", "success") == 0);
    CHECK(notifications(f.d, "hook", "retry") > 0);

    f.w.sink.answer_with(200);
    const auto ns = f.w.delivered_incident(f.d, after(20s));
    // Every attempt of one message carries the same id (receivers deduplicate on it).
    for (const auto& attempt : notes(f.w.sink.requests(), false)) {
      if (attempt.event() == "firing") {
        CHECK(attempt.body["id"] == ns[0].body["id"]);
      }
    }
    // The sink records a request before it answers; the daemon counts the success once the
    // answer is back.
    const auto successes = [&] { return notifications(f.d, "hook", "success"); };
    CHECK(wait_until(after(10s), [&] { return successes() >= 2; }));
    CHECK(successes() == 2);
    CHECK(f.d.stop() == 0);
  }

  TEST_CASE("a restart mid-incident continues the incident without a second firing") {
    failing_route f;
    auto& [w, o, d] = f;
    const auto fingerprint = notes(w.sink.delivered(), true).front().fingerprint();
    CHECK(d.stop() == 0);

    REQUIRE_MESSAGE(d.start(), d.log_tail());
    // Several broken probes after the restart: each would re-fire a forgotten incident.
    REQUIRE_MESSAGE(wait_until(after(15s), [&] { return silent_failures(d, o.route) >= 4; }),
                    d.log_tail());
    const auto all = notes(w.sink.requests(), false);
    CHECK(count_event(all, "firing") == 1);
    for (const auto& n : all) {
      CHECK(n.fingerprint() == fingerprint);
    }
    const auto a = route_alert(d, o.route);
    REQUIRE(a.is_object());
    CHECK(a["state"] == "firing");
    CHECK(d.stop() == 0);
  }

  TEST_CASE("kill -9 mid-incident then a restart delivers exactly one firing and one resolve") {
    failing_route f;
    auto& [w, o, d] = f;
    // The state file is the only thing that survives SIGKILL: wait (no event exists for a file
    // write) until it holds the firing alert and an empty queue, as the daemon writes within
    // seconds of each change.
    const auto state_file = o.state_dir / "state.json";
    auto saved_mid_incident = [&] {
      const auto j = json::parse(read_file(state_file), nullptr, false);
      if (!j.is_object() || !j.contains("sections")) {
        return false;
      }
      const auto& sec = j["sections"];
      const auto alerts = sec.value("alerts", json::object()).dump();
      const auto queue = sec.value("notifications", json::object()).value("hook", json::object());
      return alerts.find("\"firing\"") != std::string::npos && queue.contains("items") &&
             queue["items"].empty();
    };
    REQUIRE_MESSAGE(wait_until(after(15s), saved_mid_incident), d.log_tail());
    d.signal(SIGKILL);
    REQUIRE(d.wait_exit(after(10s)).has_value());

    set_behaviour(w.gateway, std::nullopt);  // healed while the daemon was down
    REQUIRE_MESSAGE(d.start(), d.log_tail());
    w.delivered_incident(d, after(15s));
    CHECK(d.stop() == 0);
  }

  TEST_CASE("a firing still pending at shutdown is delivered after the restart") {
    receiver_outage f;
    f.w.start_failing(f.d, every_attempt);
    const auto fingerprint = notes(f.w.sink.requests(), false).front().fingerprint();
    // Still queued when the daemon stops: what the restart must deliver.
    CHECK(f.d.metric("visionwatch_notification_queue_depth", {{"receiver", "hook"}}).value_or(0) >=
          1);
    CHECK(f.d.stop() == 0);

    f.w.sink.answer_with(200);
    REQUIRE_MESSAGE(f.d.start(), f.d.log_tail());
    REQUIRE_MESSAGE(sink_has(f.w.sink, "firing", only_delivered, after(15s)), f.d.log_tail());
    const auto delivered = notes(f.w.sink.delivered(), true);
    REQUIRE(delivered.size() == 1);
    CHECK(delivered[0].fingerprint() == fingerprint);
    CHECK(f.d.stop() == 0);
  }

  TEST_CASE("a corrupt state file is moved aside and the daemon starts clean") {
    e2e_world w;
    const auto o = w.opts();
    fs::create_directories(o.state_dir);
    const std::string garbage = "{\"version\": 1, \"sections\": {garbage \x01\x02";
    std::ofstream(o.state_dir / "state.json", std::ios::binary) << garbage;
    auto d = w.daemon(o);
    REQUIRE_MESSAGE(d.start(), d.log_tail());
    CHECK(d.wait_for_log("not valid JSON", after(5s)));
    std::vector<fs::path> aside;
    for (const auto& e : fs::directory_iterator(o.state_dir)) {
      if (e.path().filename().string().starts_with("state.json.corrupt-")) {
        aside.push_back(e.path());
      }
    }
    REQUIRE(aside.size() == 1);
    CHECK(std::regex_match(aside[0].filename().string(),
                           std::regex(R"(state\.json\.corrupt-\d{8}T\d{6}Z)")));
    CHECK(read_file(aside[0]) == garbage);
    CHECK(d.log().find(aside[0].filename().string()) != std::string::npos);
    // The daemon works normally and writes a fresh, valid state file.
    CHECK(wait_until(after(10s), [&] {
      return d.metric("visionwatch_probes_total", {{"route", o.route}}).value_or(0) >= 1;
    }));
    CHECK(d.stop() == 0);
    const auto saved = json::parse(read_file(o.state_dir / "state.json"), nullptr, false);
    REQUIRE(saved.is_object());
    CHECK(saved["version"] == 1);
  }

  TEST_CASE("silences API mutes notifications of a route while its metrics keep counting") {
    e2e_world w;
    const auto o = w.opts();
    auto d = w.daemon(o);
    REQUIRE_MESSAGE(d.start(), d.log_tail());

    const auto created = d.post(
        "/api/v1/silences",
        json{{"route", o.route}, {"duration", "1h"}, {"comment", "gateway maintenance"}}.dump());
    REQUIRE_MESSAGE(created.status == 201, created.body);
    const auto sil = json::parse(created.body);
    const auto id = sil["id"].get<std::string>();
    CHECK(id.starts_with("sil-"));
    CHECK(sil["route"] == o.route);
    CHECK(sil["comment"] == "gateway maintenance");
    CHECK(d.post("/api/v1/silences", R"({"duration": "1h", "comment": "no route"})").status == 400);
    CHECK(d.post("/api/v1/silences", "not json").status == 400);

    const auto listed = json::parse(d.get("/api/v1/silences").body);
    REQUIRE(listed["silences"].size() == 1);
    CHECK(listed["silences"][0]["id"] == id);

    set_behaviour(w.gateway, "drops_image_says_so");
    REQUIRE_MESSAGE(wait_until(after(10s),
                               [&] {
                                 const auto a = route_alert(d, o.route);
                                 return a.is_object() && a.value("state", "") == "firing" &&
                                        a.value("silenced", false);
                               }),
                    d.log_tail());
    // Metrics are not silenced; a couple more broken probes, still nothing sent.
    const auto counted = silent_failures(d, o.route);
    CHECK(counted >= 2);
    REQUIRE(wait_until(after(10s), [&] { return silent_failures(d, o.route) >= counted + 2; }));
    CHECK(w.sink.count() == 0);

    CHECK(d.del("/api/v1/silences/" + id).status == 200);
    CHECK(d.del("/api/v1/silences/" + id).status == 404);
    CHECK(d.del("/api/v1/silences/sil-999999").status == 404);
    CHECK(json::parse(d.get("/api/v1/silences").body)["silences"].empty());
    // The silence is gone while the rule still fires: the firing goes out at the next probe.
    REQUIRE_MESSAGE(sink_has(w.sink, "firing", only_delivered, after(10s)), d.log_tail());
    CHECK(d.stop() == 0);
  }

  TEST_CASE("two instances pushing one failing route to Alertmanager make one alert and one page") {
    e2e_world w;
    webhook_sink am_sink;
    alertmanager_server am(w.dir, am_sink.url());
    const std::string receivers =
        "  - {name: am, type: alertmanager, url: \"" + am.url() + "\", resend_interval: 2s}\n";
    auto o1 = w.opts(receivers);
    o1.state_dir = w.dir / "state-1";
    auto o2 = w.opts(receivers);
    o2.state_dir = w.dir / "state-2";
    set_behaviour(w.gateway, "drops_image_says_so");
    auto d1 = w.daemon(o1, "vw-1");
    auto d2 = w.daemon(o2, "vw-2");
    REQUIRE_MESSAGE(d1.start(), d1.log_tail());
    REQUIRE_MESSAGE(d2.start(), d2.log_tail());
    REQUIRE(d1.port() != d2.port());

    // Both instances fire and push.
    REQUIRE_MESSAGE(wait_until(after(15s),
                               [&] {
                                 return alert_state(d1, o1.route) == "firing" &&
                                        alert_state(d2, o2.route) == "firing";
                               }),
                    (d1.log_tail() + d2.log_tail()));
    REQUIRE_MESSAGE(wait_until(after(10s),
                               [&] {
                                 return notifications(d1, "am", "success") >= 1 &&
                                        notifications(d2, "am", "success") >= 1;
                               }),
                    (d1.log_tail() + d2.log_tail()));
    const auto alerts = am.alerts(o1.route);
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0]["labels"]["alertname"] == "visionwatch_silent_failure");
    CHECK(alerts[0]["labels"]["rule"] == "silent_failure");
    CHECK(alerts[0]["labels"]["model"] == test_model);
    CHECK(alerts[0]["status"]["state"] == "active");

    REQUIRE_MESSAGE(
        wait_until(after(10s), [&] { return alertmanager_notifications(am_sink, "firing") >= 1; }),
        am.log_tail());
    // Both instances keep re-sending (resend_interval 2 s): wait for more pushes from each, then
    // the group must still have been paged exactly once.
    const auto pushed = [&](const daemon_process& d) { return notifications(d, "am", "success"); };
    const auto p1 = pushed(d1);
    const auto p2 = pushed(d2);
    REQUIRE(wait_until(after(10s), [&] { return pushed(d1) >= p1 + 1 && pushed(d2) >= p2 + 1; }));
    CHECK(alertmanager_notifications(am_sink, "firing") == 1);
    CHECK(am.alerts(o1.route).size() == 1);
    const auto page = json::parse(am_sink.requests().front().body);
    REQUIRE(page["alerts"].size() == 1);
    CHECK(page["alerts"][0]["labels"]["route"] == o1.route);

    // Healed: both resolve; Alertmanager drops the active alert and sends a resolved page.
    set_behaviour(w.gateway, std::nullopt);
    REQUIRE_MESSAGE(wait_until(after(20s),
                               [&] {
                                 return alertmanager_notifications(am_sink, "resolved") >= 1 &&
                                        am.alerts(o1.route).empty();
                               }),
                    (am.log_tail() + d1.log_tail() + d2.log_tail()));
    // Each instance resolves on its own probes: the resolved page may come from the first one
    // while the other's next good probe is still to come.
    CHECK(wait_until(after(10s), [&] { return alert_state(d1, o1.route) != "firing"; }));
    CHECK(wait_until(after(10s), [&] { return alert_state(d2, o2.route) != "firing"; }));
    CHECK(d1.stop() == 0);
    CHECK(d2.stop() == 0);
  }
}

}  // namespace alerting_test
