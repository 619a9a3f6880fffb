#include "alerts/receivers.hpp"

#include <array>
#include <cctype>
#include <ctime>
#include <stdexcept>

#include "alerts/webhook_signature.hpp"
#include "probes/markup_escape.hpp"
#include "probes/retry_after.hpp"
#include "probes/utc_time.hpp"

namespace visionwatch {
namespace {

nlohmann::json optional_tokens(const std::optional<long long>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::string link_of(const notification& note, const receiver_context& context) {
  return note.status_url.empty() ? context.public_url : note.status_url;
}

std::string headline(const notification& note) {
  std::string s = note.status() == alert_status::resolved ? "[RESOLVED] " : "[FIRING] ";
  if (note.kind == notification_kind::reminder) {
    s = "[STILL FIRING] ";
  }
  return s + note.summary;
}

// Slack mrkdwn treats &, < and > as control characters.
std::string slack_escape(std::string_view s) { return escape_markup(s, "&<>"); }

std::string printable_excerpt(std::string_view body) {
  std::string out = truncate_utf8(body, 200);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) {
      c = ' ';
    }
  }
  return out;
}

nlohmann::json last_probe_json(const notification& note) {
  if (!note.last_failure) {
    return nullptr;
  }
  const auto& p = *note.last_failure;
  return {{"outcome", to_string(p.result)},
          {"reason", p.reason},
          {"http_status", p.http_status},
          {"reply_excerpt", p.reply_excerpt},
          {"latency_seconds", p.latency_seconds},
          {"tokens",
           {{"prompt", optional_tokens(p.tokens.prompt_tokens)},
            {"completion", optional_tokens(p.tokens.completion_tokens)},
            {"total", optional_tokens(p.tokens.total_tokens)},
            {"image", optional_tokens(p.tokens.image_tokens)}}},
          {"seed", std::to_string(p.seed)},
          {"sequence", p.sequence},
          {"started_at", format_rfc3339(p.started_at, utc_precision::milliseconds)}};
}

std::string join_url(std::string_view base, std::string_view path) {
  while (!base.empty() && base.back() == '/') {
    base.remove_suffix(1);
  }
  return std::string(base) + std::string(path);
}

bool http_url(std::string_view url) {
  return url.starts_with("http://") || url.starts_with("https://");
}

}  // namespace

std::string_view pagerduty_severity(std::string_view severity) noexcept {
  if (severity == "critical" || severity == "error" || severity == "warning" ||
      severity == "info") {
    return severity;
  }
  if (severity == "warn") {
    return "warning";
  }
  return "error";
}

std::string_view to_string(delivery_status s) noexcept {
  static constexpr std::array<std::string_view, 3> names = {"delivered", "retry", "permanent"};
  static_assert(static_cast<std::size_t>(delivery_status::permanent) + 1 == names.size());
  const auto i = static_cast<std::size_t>(s);
  return names[i < names.size() ? i : names.size() - 1];
}

std::string check_receiver(const receiver_config& receiver) {
  const std::string who = "receiver '" + receiver.name + "'";
  if (receiver.kind != receiver_kind::pagerduty || !receiver.url.empty()) {
    if (!http_url(receiver.url)) {
      return who + ": url must be an http:// or https:// URL";
    }
  }
  if (receiver.kind == receiver_kind::webhook && !receiver.secret.empty() &&
      !decode_webhook_secret(receiver.secret)) {
    return who + ": secret must be \"whsec_\" followed by base64 (Standard Webhooks)";
  }
  if (receiver.kind == receiver_kind::pagerduty && receiver.secret.empty()) {
    return who + ": a PagerDuty receiver needs its routing key as secret";
  }
  if (receiver.max_attempts < 1) {
    return who + ": max_attempts must be at least 1";
  }
  if (receiver.queue_size < 1) {
    return who + ": queue_size must be at least 1";
  }
  if (receiver.min_backoff.count() <= 0 || receiver.max_backoff < receiver.min_backoff) {
    return who + ": backoff must satisfy 0 < min_backoff <= max_backoff";
  }
  if (receiver.kind == receiver_kind::alertmanager && receiver.resend_interval.count() <= 0) {
    return who + ": resend_interval must be positive";
  }
  return {};
}

nlohmann::json webhook_body(const notification& note,
                            const receiver_context& context,
                            std::string_view message_id,
                            wall_time now) {
  const auto link = link_of(note, context);
  nlohmann::json body = alert_fields(note);
  body.update(
      {{"version", notification_version},
       {"id", message_id},
       {"event", to_string(note.kind)},
       {"status", to_string(note.status())},
       {"severity", note.severity},
       {"summary", note.summary},
       {"starts_at", format_rfc3339(note.starts_at, utc_precision::milliseconds)},
       {"ends_at",
        note.ends_at ? nlohmann::json(format_rfc3339(*note.ends_at, utc_precision::milliseconds))
                     : nullptr},
       {"sent_at", format_rfc3339(now, utc_precision::milliseconds)},
       {"fingerprint", note.fingerprint},
       {"status_url", link.empty() ? nlohmann::json(nullptr) : nlohmann::json(link)},
       {"labels", context.external_labels},
       {"last_probe", last_probe_json(note)}});
  return body;
}

nlohmann::json slack_body(const notification& note, const receiver_context& context) {
  const bool resolved = note.status() == alert_status::resolved;
  const std::string icon = resolved ? ":large_green_circle: " : ":red_circle: ";
  const auto text = icon + slack_escape(headline(note));
  std::string detail = "*Route:* " + slack_escape(note.route) + "  *Model:* " +
                       slack_escape(note.model) + "  *Gateway:* " + slack_escape(note.gateway) +
                       "\n*Rule:* " + std::string(to_string(note.rule)) + "  *Severity:* " +
                       slack_escape(note.severity) + "\n*Reason:* " + slack_escape(note.reason);
  auto blocks = nlohmann::json::array();
  blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", text}}}});
  blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", detail}}}});
  if (note.last_failure) {
    const auto& p = *note.last_failure;
    std::string last = "Last failing probe: `" + std::string(to_string(p.result)) + "`";
    if (!p.reason.empty()) {
      last += " " + slack_escape(p.reason);
    }
    if (!p.reply_excerpt.empty()) {
      last += "; reply: \"" + slack_escape(p.reply_excerpt) + "\"";
    }
    last += "; seed " + std::to_string(p.seed);
    blocks.push_back({{"type", "context"},
                      {"elements", nlohmann::json::array({{{"type", "mrkdwn"}, {"text", last}}})}});
  }
  std::string when = "Since " + format_rfc3339(note.starts_at, utc_precision::milliseconds);
  if (note.ends_at) {
    when += ", resolved " + format_rfc3339(*note.ends_at, utc_precision::milliseconds);
  }
  const auto link = link_of(note, context);
  if (!link.empty()) {
    when += " · <" + link + "|status page>";
  }
  blocks.push_back({{"type", "context"},
                    {"elements", nlohmann::json::array({{{"type", "mrkdwn"}, {"text", when}}})}});
  return {{"text", text}, {"blocks", std::move(blocks)}};
}

nlohmann::json pagerduty_body(const notification& note,
                              const receiver_context& context,
                              std::string_view routing_key) {
  if (note.status() == alert_status::resolved) {
    return {
        {"routing_key", routing_key}, {"event_action", "resolve"}, {"dedup_key", note.fingerprint}};
  }
  nlohmann::json details = alert_fields(note);
  details["starts_at"] = format_rfc3339(note.starts_at, utc_precision::milliseconds);
  details["last_probe"] = last_probe_json(note);
  for (const auto& [k, v] : context.external_labels) {
    details["labels"][k] = v;
  }
  nlohmann::json body = {{"routing_key", routing_key},
                         {"event_action", "trigger"},
                         {"dedup_key", note.fingerprint},
                         {"client", "visionwatch"},
                         {"payload",
                          {{"summary", truncate_utf8(note.summary, pagerduty_summary_limit)},
                           {"severity", pagerduty_severity(note.severity)},
                           {"source", note.route},
                           {"component", note.model},
                           {"group", note.gateway},
                           {"class", to_string(note.rule)},
                           {"timestamp", format_rfc3339(note.starts_at, utc_precision::milliseconds)},
                           {"custom_details", std::move(details)}}}};
  const auto link = link_of(note, context);
  if (!link.empty()) {
    body["client_url"] = link;
    body["links"] = nlohmann::json::array({{{"href", link}, {"text", "visionwatch status"}}});
  }
  return body;
}

nlohmann::json alertmanager_body(const notification& note,
                                 const receiver_context& context,
                                 std::chrono::seconds resend_interval,
                                 wall_time now) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& [k, v] : context.external_labels) {
    labels[k] = v;
  }
  // Our own labels win over external labels of the same name: they identify the alert.
  labels["alertname"] = "visionwatch_" + std::string(to_string(note.rule));
  labels["route"] = note.route;
  labels["model"] = note.model;
  labels["gateway"] = note.gateway;
  labels["rule"] = to_string(note.rule);
  labels["severity"] = note.severity;
  std::string description = note.summary;
  if (note.last_failure) {
    description += "\nLast failing probe: " + std::string(to_string(note.last_failure->result));
    if (!note.last_failure->reason.empty()) {
      description += " (" + note.last_failure->reason + ")";
    }
    description += ", seed " + std::to_string(note.last_failure->seed);
  }
  const wall_time ends = note.status() == alert_status::resolved ? now : now + 4 * resend_interval;
  nlohmann::json alert = {
      {"labels", std::move(labels)},
      {"annotations",
       {{"summary", note.summary}, {"description", description}, {"reason", note.reason}}},
      {"startsAt", format_rfc3339(note.starts_at, utc_precision::milliseconds)},
      {"endsAt", format_rfc3339(ends, utc_precision::milliseconds)}};
  const auto link = link_of(note, context);
  if (!link.empty()) {
    alert["generatorURL"] = link;
  }
  return nlohmann::json::array({std::move(alert)});
}

http_request format_request(const receiver_config& receiver,
                            const notification& note,
                            const receiver_context& context,
                            std::string_view message_id,
                            wall_time now) {
  if (auto problem = check_receiver(receiver); !problem.empty()) {
    throw std::invalid_argument(problem);
  }
  http_request r;
  r.method = "POST";
  r.timeout = receiver.timeout;
  r.headers.emplace_back("content-type", "application/json");
  r.headers.emplace_back("user-agent", "visionwatch");
  switch (receiver.kind) {
    case receiver_kind::webhook: {
      r.url = receiver.url;
      r.body = webhook_body(note, context, message_id, now).dump();
      if (!receiver.secret.empty()) {
        const auto key = decode_webhook_secret(receiver.secret);
        if (!key) {  // check_receiver above has rejected such a secret already
          throw std::invalid_argument("receiver '" + receiver.name + "': bad webhook secret");
        }
        const auto timestamp =
            std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
        r.headers.emplace_back("webhook-id", std::string(message_id));
        r.headers.emplace_back("webhook-timestamp", std::to_string(timestamp));
        r.headers.emplace_back("webhook-signature",
                               webhook_signature(*key, message_id, timestamp, r.body));
      }
      break;
    }
    case receiver_kind::slack:
      r.url = receiver.url;
      r.body = slack_body(note, context).dump();
      break;
    case receiver_kind::pagerduty:
      r.url = receiver.url.empty() ? std::string(pagerduty_default_url) : receiver.url;
      r.body = pagerduty_body(note, context, receiver.secret).dump();
      break;
    case receiver_kind::alertmanager:
      r.url = join_url(receiver.url, "/api/v2/alerts");
      r.body = alertmanager_body(note, context, receiver.resend_interval, now).dump();
      break;
  }
  return r;
}

http_request format_alertmanager_batch(const receiver_config& receiver,
                                       const std::vector<notification>& notes,
                                       const receiver_context& context,
                                       wall_time now) {
  if (receiver.kind != receiver_kind::alertmanager || notes.empty()) {
    throw std::invalid_argument("an Alertmanager batch needs an alertmanager receiver and alerts");
  }
  auto r = format_request(receiver, notes.front(), context, "", now);
  auto alerts = nlohmann::json::array();
  for (const auto& note : notes) {
    for (auto& a : alertmanager_body(note, context, receiver.resend_interval, now)) {
      alerts.push_back(std::move(a));
    }
  }
  r.body = alerts.dump();
  return r;
}

delivery_verdict classify_response(const http_result& result, wall_time now) {
  if (result.transport_error) {  // !result.ok(), spelled so the optional check is visible
    return {delivery_status::retry,
            std::nullopt,
            std::string(to_string(*result.transport_error)) +
                (result.reason.empty() ? "" : ": " + result.reason)};
  }
  const unsigned s = result.status;
  if (s >= 200 && s < 300) {
    return {delivery_status::delivered, std::nullopt, "HTTP " + std::to_string(s)};
  }
  std::string reason = "HTTP " + std::to_string(s);
  if (!result.body.empty()) {
    reason += ": " + printable_excerpt(result.body);
  }
  if (s == 408 || s == 429 || s >= 500) {
    return {delivery_status::retry, parse_retry_after(result.header("retry-after"), now), reason};
  }
  if (s >= 300 && s < 400) {
    reason += " (redirects are not followed: point the receiver at the final URL)";
  }
  return {delivery_status::permanent, std::nullopt, reason};
}

redactor receiver_redactor(const receiver_config& receiver) {
  redactor r;
  r.add(receiver.secret);
  r.add_url(receiver.url);
  return r;
}

}  // namespace visionwatch
