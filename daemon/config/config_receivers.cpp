#include "daemon/config/config_receivers.hpp"

#include <string>
#include <utility>

#include "alerts/receivers.hpp"
#include "daemon/config/config_secrets.hpp"
#include "daemon/config/config_tls.hpp"

namespace visionwatch::config_reading {
namespace {

/// The URL: plain, or as a secret (Slack webhook URLs are credentials). Returns whether given.
bool parse_receiver_url(config_reader& reader, const map_reader& m, receiver_config& r) {
  const auto url_secret = read_secret(reader, m, "url", true);
  bool url_given = url_secret.given;
  if (const auto* v = m.get("url")) {
    url_given = true;
    if (url_secret.given) {
      reader.fail(*v, m.at("url"), "set either url or url_env/url_file/url_credential, not both");
    } else if (auto u = reader.url(*v, m.at("url"))) {
      r.url = *u;
    }
  } else if (url_secret.value) {
    const std::string key = secret_key(m, "url");
    if (auto problem = check_url(*url_secret.value, {"http", "https"})) {
      reader.fail(*m.get(key), m.at(key), "the URL it holds " + *problem);
    } else {
      r.url = *url_secret.value;
    }
  }
  return url_given;
}

/// What each receiver type requires of url, secret and resend_interval.
void check_kind(config_reader& reader,
                const map_reader& m,
                receiver_config& r,
                bool url_given,
                bool secret_given) {
  const bool needs_url = r.kind != receiver_kind::pagerduty;
  if (needs_url && !url_given) {
    reader.fail(m.line(),
                m.path(),
                std::string(to_string(r.kind)) +
                    " receivers need url (or url_env, url_file, "
                    "url_credential)");
  }
  if (r.kind == receiver_kind::pagerduty && !url_given) {
    r.url = "https://events.pagerduty.com/v2/enqueue";
  }
  if (r.kind == receiver_kind::pagerduty && !secret_given) {
    reader.fail(m.line(),
                m.path(),
                "pagerduty receivers need the routing key as secret_env, secret_file or "
                "secret_credential");
  }
  if (secret_given && (r.kind == receiver_kind::slack || r.kind == receiver_kind::alertmanager)) {
    const std::string key = secret_key(m, "secret");
    reader.fail(
        *m.get(key), m.at(key), std::string(to_string(r.kind)) + " receivers take no secret");
  }
  if (m.has("resend_interval") && r.kind != receiver_kind::alertmanager) {
    reader.fail(
        *m.get("resend_interval"), m.at("resend_interval"), "only alertmanager receivers re-send");
  }
}

void parse_receiver(config_document& doc, const YAML::Node& n, const std::string& path) {
  auto& reader = doc.reader;
  map_reader m(reader, n, path, config_fields::receiver());
  if (!m.ok()) {
    return;
  }
  const std::size_t errors_before = reader.error_count();
  receiver_config r;
  if (const auto name = m.name("receiver")) {
    r.name = *name;
    doc.declare(doc.receiver_lines, m, "receiver", *name);
  }
  bool kind_ok = false;
  if (m.required("type") != nullptr) {
    if (const auto type = m.choice("type", "a receiver type")) {
      r.kind = *receiver_kind_from_string(*type);
      kind_ok = true;
    }
  }
  const bool url_given = parse_receiver_url(reader, m, r);
  auto secret = read_secret(reader, m, "secret", true);
  if (secret.value) {
    r.secret = std::move(*secret.value);
  }
  if (kind_ok) {
    check_kind(reader, m, r, url_given, secret.given);
  }
  m.read_duration("timeout", r.timeout);
  m.read_integer("max_attempts", r.max_attempts);
  m.read_whole_seconds("max_age", r.max_age);
  m.read_duration("min_backoff", r.min_backoff);
  m.read_duration("max_backoff", r.max_backoff);
  if (r.max_backoff < r.min_backoff) {
    const char* key = m.get("max_backoff") != nullptr ? "max_backoff" : "min_backoff";
    reader.fail(*m.get(key),
                m.at(key),
                "max_backoff (" + std::to_string(r.max_backoff.count()) +
                    " ms) is shorter than min_backoff (" + std::to_string(r.min_backoff.count()) +
                    " ms)");
  }
  m.read_integer("queue_size", r.queue_size);
  m.read_whole_seconds("resend_interval", r.resend_interval);
  parse_tls(reader, m, {r.ca_file, r.insecure_skip_verify});
  // The notifier's own checks (a webhook secret in the Standard Webhooks format, ...): what
  // they refuse must fail here, not when a reload has already swapped the configuration in.
  if (reader.error_count() == errors_before) {
    if (const auto problem = check_receiver(r); !problem.empty()) {
      reader.fail(m.line(), path, problem);
    }
  }
  doc.cfg.receivers.push_back(std::move(r));
}

}  // namespace

void parse_receivers(config_document& doc, const YAML::Node& n) {
  doc.reader.for_each_item(n, "receivers", [&](const YAML::Node& item, const std::string& path) {
    parse_receiver(doc, item, path);
  });
}

}  // namespace visionwatch::config_reading
