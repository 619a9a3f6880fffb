#include "alerts/receivers.hpp"

#include <doctest/doctest.h>

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <utility>

#include "alerts/webhook_signature.hpp"
#include "probes/retry_after.hpp"
#include "tests/alerts/alert_fixtures.hpp"

using namespace visionwatch;
using namespace std::chrono_literals;

namespace {

using test::firing_note;
using test::t0;
const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

notification resolved_note() {
  auto n = firing_note();
  n.kind = notification_kind::resolved;
  n.ends_at = t0 + 10min;
  return n;
}

receiver_config receiver(receiver_kind kind, std::string url, std::string key = {}) {
  receiver_config r;
  r.name = "test";
  r.kind = kind;
  r.url = std::move(url);
  r.secret = std::move(key);
  return r;
}

/// Checks that `doc` holds each value at its JSON pointer ("/payload/severity").
void check_fields(const nlohmann::json& doc,
                  std::initializer_list<std::pair<const char*, nlohmann::json>> fields) {
  for (const auto& [pointer, value] : fields) {
    CAPTURE(pointer);
    const nlohmann::json::json_pointer at(pointer);
    REQUIRE(doc.contains(at));
    CHECK(doc.at(at) == value);
  }
}

std::string header(const http_request& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) {
      return v;
    }
  }
  return {};
}

receiver_context context() {
  receiver_context c;
  c.external_labels = {{"region", "eu-west"}, {"route", "must-not-win"}};
  c.public_url = "https://watch.example";
  return c;
}

http_result response(unsigned status, std::string body = {}, header_list headers = {}) {
  http_result r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the webhook body carries every documented field") {
    const auto req = format_request(receiver(receiver_kind::webhook, "https://hooks.example/in"),
                                    firing_note(),
                                    context(),
                                    "msg_1",
                                    t0 + 1s);
    CHECK(req.method == "POST");
    CHECK(req.url == "https://hooks.example/in");
    CHECK(header(req, "content-type") == "application/json");
    CHECK(header(req, "webhook-signature").empty());  // no secret: unsigned
    const auto b = nlohmann::json::parse(req.body);
    CHECK(b["version"] == "1");
    CHECK(b["id"] == "msg_1");
    CHECK(b["event"] == "firing");
    CHECK(b["status"] == "firing");
    CHECK(b["route"] == "vision-a");
    CHECK(b["model"] == "gpt-4o-mini");
    CHECK(b["gateway"] == "openrouter");
    CHECK(b["rule"] == "silent_failure");
    CHECK(b["severity"] == "critical");
    CHECK(b["summary"] == "vision-a answers but does not see the image");
    CHECK(b["reason"].get<std::string>().find("no_image_claim") != std::string::npos);
    CHECK(b["value"] == 2);
    CHECK(b["threshold"] == 2);
    CHECK(b["starts_at"] == "2027-01-15T08:00:00.000Z");
    CHECK(b["ends_at"].is_null());
    CHECK(b["sent_at"] == "2027-01-15T08:00:01.000Z");
    CHECK(b["fingerprint"].get<std::string>().size() == 32);
    CHECK(b["status_url"] == "https://watch.example/routes/vision-a");
    CHECK(b["labels"]["region"] == "eu-west");
    const auto& p = b["last_probe"];
    CHECK(p["outcome"] == "no_image_claim");
    CHECK(p["reason"] == "says no image");
    CHECK(p["http_status"] == 200);
    CHECK(p["reply_excerpt"] == "Please upload an image for analysis. No image provided.");
    CHECK(p["latency_seconds"] == doctest::Approx(4.402));
    CHECK(p["tokens"]["prompt"] == 27);
    CHECK(p["tokens"]["completion"] == 12);
    CHECK(p["tokens"]["total"].is_null());
    CHECK(p["seed"] == "18446744073709551615");  // a string: JSON numbers lose 64-bit precision
    CHECK(p["sequence"] == 7);
    CHECK(p["started_at"] == "2027-01-15T07:59:55.000Z");

    const auto resolved =
        nlohmann::json::parse(webhook_body(resolved_note(), context(), "msg_2", t0 + 10min).dump());
    CHECK(resolved["status"] == "resolved");
    CHECK(resolved["ends_at"] == "2027-01-15T08:10:00.000Z");
  }

  TEST_CASE("a signed webhook carries Standard Webhooks headers that verify") {
    const auto now = t0 + 3s;
    const auto req =
        format_request(receiver(receiver_kind::webhook, "https://hooks.example/in", secret),
                       firing_note(),
                       context(),
                       "msg_abc",
                       now);
    CHECK(header(req, "webhook-id") == "msg_abc");
    CHECK(header(req, "webhook-timestamp") == "1800000003");
    const auto key = decode_webhook_secret(secret);
    CHECK(header(req, "webhook-signature") ==
          webhook_signature(*key, "msg_abc", 1800000003, req.body));
    CHECK(header(req, "webhook-signature").starts_with("v1,"));
  }

  TEST_CASE("Slack gets a readable text and blocks with escaped content") {
    auto n = firing_note();
    n.summary = "route <a> & co";
    const auto req =
        format_request(receiver(receiver_kind::slack, "https://hooks.slack.com/services/T/B/X"),
                       n,
                       context(),
                       "m",
                       t0);
    const auto b = nlohmann::json::parse(req.body);
    CHECK(b["text"] == ":red_circle: [FIRING] route &lt;a&gt; &amp; co");
    REQUIRE(b["blocks"].is_array());
    REQUIRE(b["blocks"].size() == 4);
    CHECK(b["blocks"][0]["type"] == "section");
    CHECK(b["blocks"][1]["text"]["text"].get<std::string>().find("*Rule:* silent_failure") !=
          std::string::npos);
    CHECK(b["blocks"][2]["elements"][0]["text"].get<std::string>().find("No image provided.") !=
          std::string::npos);
    CHECK(b["blocks"][3]["elements"][0]["text"].get<std::string>().find(
              "<https://watch.example/routes/vision-a|status page>") != std::string::npos);

    const auto resolved = slack_body(resolved_note(), context());
    CHECK(resolved["text"].get<std::string>().starts_with(":large_green_circle: [RESOLVED] "));
    auto reminder = firing_note();
    reminder.kind = notification_kind::reminder;
    CHECK(slack_body(reminder, context())["text"].get<std::string>().find("[STILL FIRING]") !=
          std::string::npos);
  }

  TEST_CASE("PagerDuty triggers and resolves with one stable dedup_key") {
    const auto r = receiver(receiver_kind::pagerduty, "", "R0UTINGKEY");
    const auto trigger = format_request(r, firing_note(), context(), "m", t0);
    CHECK(trigger.url == "https://events.pagerduty.com/v2/enqueue");
    const auto t = nlohmann::json::parse(trigger.body);
    check_fields(t,
                 {
                     {"/routing_key", "R0UTINGKEY"},
                     {"/event_action", "trigger"},
                     {"/dedup_key", firing_note().fingerprint},
                     {"/payload/summary", "vision-a answers but does not see the image"},
                     {"/payload/severity", "critical"},
                     {"/payload/source", "vision-a"},
                     {"/payload/component", "gpt-4o-mini"},
                     {"/payload/group", "openrouter"},
                     {"/payload/class", "silent_failure"},
                     {"/payload/custom_details/last_probe/outcome", "no_image_claim"},
                     {"/payload/custom_details/labels/region", "eu-west"},
                     {"/links/0/href", "https://watch.example/routes/vision-a"},
                 });

    const auto resolve =
        nlohmann::json::parse(format_request(r, resolved_note(), context(), "m", t0).body);
    CHECK(resolve["event_action"] == "resolve");
    CHECK(resolve["dedup_key"] == t["dedup_key"]);
    CHECK(resolve["routing_key"] == "R0UTINGKEY");

    auto custom = r;
    custom.url = "http://127.0.0.1:1234/v2/enqueue";
    CHECK(format_request(custom, firing_note(), context(), "m", t0).url == custom.url);
  }

  TEST_CASE("PagerDuty summaries are cut to 1024 bytes") {
    auto n = firing_note();
    n.summary = std::string(3000, 'x');
    const auto b = pagerduty_body(n, context(), "k");
    CHECK(b["payload"]["summary"].get<std::string>().size() == pagerduty_summary_limit);
  }

  TEST_CASE("severities map onto PagerDuty's four levels") {
    for (const auto& [ours, theirs] : std::initializer_list<std::pair<const char*, const char*>>{
             {"critical", "critical"},
             {"error", "error"},
             {"warning", "warning"},
             {"warn", "warning"},
             {"info", "info"},
             {"page", "error"},
         }) {
      CAPTURE(ours);
      CHECK(pagerduty_severity(ours) == theirs);
    }
  }

  TEST_CASE("Alertmanager gets labels and annotations and endsAt four resend intervals ahead") {
    auto r = receiver(receiver_kind::alertmanager, "http://127.0.0.1:9093/");
    r.resend_interval = 60s;
    const auto now = t0 + 30s;
    const auto req = format_request(r, firing_note(), context(), "m", now);
    CHECK(req.url == "http://127.0.0.1:9093/api/v2/alerts");
    const auto b = nlohmann::json::parse(req.body);
    REQUIRE(b.is_array());
    REQUIRE(b.size() == 1);
    const auto& a = b[0];
    check_fields(a,
                 {
                     {"/labels/alertname", "visionwatch_silent_failure"},
                     {"/labels/route", "vision-a"},  // our label wins over the external one
                     {"/labels/model", "gpt-4o-mini"},
                     {"/labels/gateway", "openrouter"},
                     {"/labels/rule", "silent_failure"},
                     {"/labels/severity", "critical"},
                     {"/labels/region", "eu-west"},
                     {"/annotations/summary", "vision-a answers but does not see the image"},
                     {"/annotations/reason", firing_note().reason},
                 });
    CHECK(a["annotations"]["description"].get<std::string>().find("seed 18446744073709551615") !=
          std::string::npos);
    CHECK(a["startsAt"] == "2027-01-15T08:00:00.000Z");
    CHECK(a["endsAt"] == "2027-01-15T08:04:30.000Z");  // now + 4 × 60 s
    CHECK(a["generatorURL"] == "https://watch.example/routes/vision-a");

    const auto resolved = alertmanager_body(resolved_note(), context(), 60s, t0 + 10min);
    CHECK(resolved[0]["endsAt"] == "2027-01-15T08:10:00.000Z");
    CHECK(resolved[0]["labels"] == a["labels"]);  // same labels: Alertmanager matches the alert
  }

  TEST_CASE("responses are classified into delivered or retry or permanent") {
    CHECK(classify_response(response(200), t0).status == delivery_status::delivered);
    CHECK(classify_response(response(202), t0).status == delivery_status::delivered);
    const auto pd400 = classify_response(response(400, R"({"status":"invalid event"})"), t0);
    CHECK(pd400.status == delivery_status::permanent);
    CHECK(pd400.reason == R"(HTTP 400: {"status":"invalid event"})");
    CHECK(classify_response(response(404), t0).status == delivery_status::permanent);
    CHECK(classify_response(response(403), t0).status == delivery_status::permanent);
    CHECK(classify_response(response(301), t0).status == delivery_status::permanent);
    CHECK(classify_response(response(408), t0).status == delivery_status::retry);
    CHECK(classify_response(response(500), t0).status == delivery_status::retry);
    CHECK(classify_response(response(503), t0).status == delivery_status::retry);
    const auto limited = classify_response(response(429, "", {{"retry-after", "30"}}), t0);
    CHECK(limited.status == delivery_status::retry);
    REQUIRE(limited.retry_after.has_value());
    CHECK(*limited.retry_after == 30s);
    const auto dated = classify_response(
        response(503, "", {{"retry-after", "Fri, 15 Jan 2027 08:02:00 GMT"}}), t0);
    REQUIRE(dated.retry_after.has_value());
    CHECK(*dated.retry_after == 120s);

    http_result transport;
    transport.transport_error = outcome::connect_error;
    transport.reason = "connect to 127.0.0.1:9: connection refused";
    const auto t = classify_response(transport, t0);
    CHECK(t.status == delivery_status::retry);
    CHECK(t.reason == "connect_error: connect to 127.0.0.1:9: connection refused");
  }

  TEST_CASE("Retry-After accepts seconds and HTTP dates and rejects junk") {
    CHECK(parse_retry_after("0", t0) == 0s);
    CHECK(parse_retry_after(" 5 ", t0) == 5s);
    CHECK(parse_retry_after("Fri, 15 Jan 2027 07:00:00 GMT", t0) == 0s);  // in the past
    CHECK_FALSE(parse_retry_after("", t0).has_value());
    CHECK_FALSE(parse_retry_after("-3", t0).has_value());
    CHECK_FALSE(parse_retry_after("soon", t0).has_value());
    CHECK_FALSE(parse_retry_after("Fri, 15 Jan 2027 07:00:00 GMT trailing", t0).has_value());
  }

  TEST_CASE("unusable receivers are refused without quoting their secrets") {
    auto bad_secret =
        receiver(receiver_kind::webhook, "https://hooks.example", "whsec_not base64!");
    const auto problem = check_receiver(bad_secret);
    CHECK(problem.find("whsec_\" followed by base64") != std::string::npos);
    CHECK(problem.find("not base64!") == std::string::npos);
    CHECK_THROWS_AS(format_request(bad_secret, firing_note(), context(), "m", t0),
                    std::invalid_argument);
    CHECK_FALSE(check_receiver(receiver(receiver_kind::pagerduty, "")).empty());
    CHECK_FALSE(check_receiver(receiver(receiver_kind::slack, "hooks.slack.com/x")).empty());
    CHECK(check_receiver(receiver(receiver_kind::pagerduty, "", "key")).empty());
    CHECK(check_receiver(receiver(receiver_kind::webhook, "http://127.0.0.1:1/x", secret)).empty());
  }

  TEST_CASE("an Alertmanager batch is one POST with a JSON array of every alert") {
    receiver_config r;
    r.name = "am";
    r.kind = receiver_kind::alertmanager;
    r.url = "http://am.example:9093/";
    r.resend_interval = 60s;
    auto a = test::firing_note();
    auto b = test::firing_note();
    b.route = "vision-b";
    b.kind = notification_kind::resolved;
    b.ends_at = test::t0 + 1h;
    const auto req = format_alertmanager_batch(r, {a, b}, {{{"region", "eu"}}, ""}, test::t0);
    CHECK(req.url == "http://am.example:9093/api/v2/alerts");
    const auto body = nlohmann::json::parse(req.body);
    REQUIRE(body.is_array());
    REQUIRE(body.size() == 2);
    CHECK(body[0]["labels"]["route"] == "vision-a");
    CHECK(body[1]["labels"]["route"] == "vision-b");
    CHECK(body[1]["labels"]["region"] == "eu");
    CHECK(body[1]["endsAt"] == "2027-01-15T08:00:00.000Z");  // resolved: now
  }
}
