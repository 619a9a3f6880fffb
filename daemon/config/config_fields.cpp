#include "daemon/config/config_fields.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <utility>

#include "probes/adapter.hpp"
#include "probes/challenge.hpp"
#include "probes/probe_shape.hpp"  // probe_shape_names(), for the shapes: key

namespace visionwatch::config_fields {
namespace {

/// Every name of an enum whose to_string comes from an enum_table (probes/enum_table.hpp): the
/// values 0, 1, 2, ... until the table answers "unknown".
template <class E>
std::vector<std::string_view> names_of() {
  std::vector<std::string_view> out;
  for (unsigned i = 0; i < 256; ++i) {
    const auto name = to_string(static_cast<E>(i));
    if (name == "unknown") {
      break;
    }
    out.push_back(name);
  }
  return out;
}

std::vector<field> joined(std::initializer_list<std::vector<field>> parts) {
  std::vector<field> out;
  for (const auto& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

// Shared value syntaxes (the parser's, config_values.hpp).
constexpr std::string_view name_pattern = "^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$";
constexpr std::string_view env_name_pattern = "^[A-Za-z_][A-Za-z0-9_]*$";
constexpr std::string_view version_pattern = "^[A-Za-z0-9._-]{1,64}$";

/// The keys `defaults:` and every route share (config_route_settings.cpp).
std::vector<field> settings_fields() {
  return {
      duration("interval", "Time between probes of a route. Default 60s."),
      duration("timeout", "Deadline of one probe request; at most the interval. Default 30s."),
      duration("baseline_interval",
               "How often the text-only control request re-learns the usage baseline. Default "
               "1h."),
      duration("retry_interval",
               "After a failed probe, the next one this soon instead of at the next interval, "
               "until the route is ok again; at most the interval. Default: a quarter of the "
               "interval, at least 30s, at most the interval."),
      integer("window", 1, 100'000, "Probes in the windowed ratios and quantiles. Default 100."),
      boolean("stream",
              "Ask for a streamed reply and measure time to first token (only for an api that can "
              "stream). Default false."),
      choice_list("shapes",
                  probe_shape_names(),
                  "Probe shapes the route rotates through, one per interval. Default [plain]."),
      map("challenge", challenge, "What the route asks and how the image travels."),
      map("checks", checks, "How a reply is judged besides its answer."),
      map("price", price, "USD per million tokens, for the cost metrics, rule and budgets."),
      map("alerts", alerts, "Alert rules and how often a firing alert is re-sent."),
  };
}

/// The keys of an alert rule; `threshold` is the kind's own field (null: the kind has none).
std::vector<field> rule_fields(std::optional<field> threshold, bool latency) {
  std::vector<field> out = {
      boolean("enabled",
              "false turns the rule off; a threshold turns latency and cost on unless enabled is "
              "given beside it."),
      integer("failure_threshold",
              1,
              1000,
              "Consecutive bad evaluations to fire. Default 2 (route_down 3, others 1)."),
      integer("success_threshold", 1, 1000, "Consecutive good evaluations to resolve. Default 2."),
  };
  if (threshold) {
    out.push_back(std::move(*threshold));
  }
  if (latency) {
    out.push_back(choice("metric",
                         {"total", "first_token"},
                         "What the p90 measures: the whole request (default) or the time to "
                         "first token of streamed probes."));
  }
  out.push_back(choice("severity", {"critical", "error", "warning", "info"}, "Alert severity."));
  out.push_back(
      text("description", "Alert text template: {route} {model} {gateway} {rule} {reason} {value}.")
          .or_null());
  out.push_back(
      list("receivers", "Receiver names this rule notifies; absent or [] means every receiver."));
  return out;
}

const table& plain_rule() {
  static const table t{"rule", "An alert rule without a threshold.", rule_fields({}, false)};
  return t;
}
const table& success_ratio_rule() {
  static const table t{
      "success_ratio_rule",
      "Fires when the success ratio over the window drops below threshold.",
      rule_fields(number("threshold", 0, 1, "0..1", "Lowest good success ratio. Default 0.8."),
                  false)};
  return t;
}
const table& latency_rule() {
  static const table t{
      "latency_rule",
      "Fires when the windowed p90 latency is above threshold; off until a threshold is set.",
      rule_fields(duration("threshold", "Highest good p90 latency."), true)};
  return t;
}
const table& cost_rule() {
  static const table t{
      "cost_rule",
      "Fires when the windowed USD per successful probe is above threshold; off until a "
      "threshold is set.",
      rule_fields(number("threshold", 0, 1e6, "0..1000000 USD", "Highest good USD per probe."),
                  false)};
  return t;
}

using table_function = const table& (*)();

table_function rule_table(alert_rule_kind kind) {
  switch (kind) {
    case alert_rule_kind::success_ratio:
      return success_ratio_rule;
    case alert_rule_kind::latency:
      return latency_rule;
    case alert_rule_kind::cost:
      return cost_rule;
    case alert_rule_kind::silent_failure:
    case alert_rule_kind::route_down:
      break;
  }
  return plain_rule;
}

std::string_view rule_summary(alert_rule_kind kind) {
  switch (kind) {
    case alert_rule_kind::silent_failure:
      return "Consecutive silent failures (HTTP 2xx, but wrong). On by default.";
    case alert_rule_kind::route_down:
      return "Consecutive failures of any kind. On by default.";
    case alert_rule_kind::success_ratio:
      return "Success ratio over the window below threshold. On by default.";
    case alert_rule_kind::latency:
      return "Windowed p90 latency above threshold; off until a threshold is set.";
    case alert_rule_kind::cost:
      return "Windowed USD per successful probe above threshold; off until a threshold is set.";
  }
  return "";
}

std::vector<field> tls_fields(bool server_name) {
  std::vector<field> out = {text("ca_file",
                                 "PEM bundle to trust instead of the system store (relative to "
                                 "the configuration's directory).")};
  if (server_name) {
    out.push_back(text("server_name", "SNI and verification name. Default: the URL's host."));
  }
  out.push_back(boolean("insecure_skip_verify", "Skip certificate verification. Default false."));
  return out;
}

void collect(const table& t, std::vector<const table*>& out, std::set<const table*>& seen) {
  if (!seen.insert(&t).second) {
    return;
  }
  out.push_back(&t);
  for (const auto& f : t.fields) {
    if (f.nested != nullptr) {
      collect(f.nested(), out, seen);
    }
  }
}

}  // namespace

std::string_view to_string(value_type t) noexcept {
  static constexpr std::array<std::string_view, 13> names = {"text",
                                                             "boolean",
                                                             "integer",
                                                             "number",
                                                             "duration",
                                                             "size",
                                                             "url",
                                                             "time",
                                                             "choice",
                                                             "list",
                                                             "map",
                                                             "map_list",
                                                             "text_map"};
  const auto i = static_cast<std::size_t>(t);
  return i < names.size() ? names[i] : "unknown";
}

// --- field and table ---------------------------------------------------------------------------

field field::needed() && {
  required = true;
  return std::move(*this);
}
field field::needed_unless(std::string_view other) && {
  required_unless = other;
  return std::move(*this);
}
field field::or_null() && {
  nullable = true;
  return std::move(*this);
}
field field::matching(std::string_view regex) && {
  pattern = regex;
  return std::move(*this);
}
field field::at_least(std::size_t items) && {
  min_items = items;
  return std::move(*this);
}
field field::excluding_min() && {
  above_min = true;
  return std::move(*this);
}

const field* table::find(std::string_view key) const noexcept {
  const auto it =
      std::find_if(fields.begin(), fields.end(), [key](const field& f) { return f.key == key; });
  return it == fields.end() ? nullptr : &*it;
}

field text(std::string_view key, std::string description) {
  field f;
  f.key = key;
  f.type = value_type::text;
  f.description = std::move(description);
  return f;
}
field boolean(std::string_view key, std::string description) {
  auto f = text(key, std::move(description));
  f.type = value_type::boolean;
  return f;
}
field integer(std::string_view key, long long min, long long max, std::string description) {
  auto f = text(key, std::move(description));
  f.type = value_type::integer;
  f.min = static_cast<double>(min);
  f.max = static_cast<double>(max);
  return f;
}
field number(std::string_view key,
             double min,
             double max,
             std::string_view range_text,
             std::string description) {
  auto f = text(key, std::move(description));
  f.type = value_type::number;
  f.min = min;
  f.max = max;
  f.range_text = range_text;
  return f;
}
field duration(std::string_view key, std::string description) {
  auto f = text(key, std::move(description));
  f.type = value_type::duration;
  return f;
}
field size(std::string_view key,
           double min,
           double max,
           std::string_view range_text,
           std::string description) {
  auto f = number(key, min, max, range_text, std::move(description));
  f.type = value_type::size;
  return f;
}
field url(std::string_view key, std::string description) {
  auto f = text(key, std::move(description));
  f.type = value_type::url;
  return f;
}
field time(std::string_view key, std::string description) {
  auto f = text(key, std::move(description));
  f.type = value_type::time;
  return f;
}
field choice(std::string_view key, std::vector<std::string_view> values, std::string description) {
  auto f = text(key, std::move(description));
  f.type = value_type::choice;
  f.values = std::move(values);
  return f;
}
field list(std::string_view key, std::string description) {
  auto f = text(key, std::move(description));
  f.type = value_type::list;
  return f;
}
field choice_list(std::string_view key,
                  std::vector<std::string_view> values,
                  std::string description) {
  auto f = list(key, std::move(description));
  f.item = value_type::choice;
  f.values = std::move(values);
  f.unique = true;
  return f;
}
field map(std::string_view key, const table& (*nested)(), std::string description) {
  auto f = text(key, std::move(description));
  f.type = value_type::map;
  f.nested = nested;
  return f;
}
field map_list(std::string_view key, const table& (*nested)(), std::string description) {
  auto f = map(key, nested, std::move(description));
  f.type = value_type::map_list;
  return f;
}
field text_map(std::string_view key, std::string_view key_pattern, std::string description) {
  auto f = text(key, std::move(description));
  f.type = value_type::text_map;
  f.pattern = key_pattern;
  return f;
}

std::vector<field> secret(std::string_view base, std::string_view what) {
  const std::string b(base);
  const std::string w(what);
  return {
      text(b + "_env", w + ", from this environment variable.").matching(env_name_pattern),
      text(b + "_file",
           w + ", from this file (relative to the configuration's directory; one trailing "
               "newline is stripped)."),
      text(b + "_credential",
           w + ", from $CREDENTIALS_DIRECTORY/<this name> (systemd LoadCredential=).")
          .matching("^[^/]+$"),
  };
}

// --- the tables --------------------------------------------------------------------------------

const table& document() {
  static const table t{
      "document",
      "visionwatch: probes LLM vision routes with seeded image challenges. The schema checks "
      "keys, types and values; `visionwatch validate` also checks references, files, secrets "
      "and the rules between keys.",
      {
          map("global", global, "Process-wide settings."),
          map("defaults", defaults, "Route settings every route inherits."),
          map_list("gateways", gateway, "The endpoints routes probe through."),
          map_list("routes", route, "Gateway and model pairs to probe.").needed().at_least(1),
          map_list("receivers", receiver, "Where alerts go."),
          map_list("silences", silence, "Mute a route's alerts until a time."),
      },
      true};
  return t;
}

const table& global() {
  static const table t{
      "global",
      "Process-wide settings.",
      joined({
          {
              text("listen",
                   "Address of the metrics, status page and API: IPv4 literal or [IPv6] literal "
                   "and port. A non-loopback address requires admin_token_*. Default "
                   "127.0.0.1:9464.")
                  .matching(R"(^([0-9.]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$)"),
              text("state_dir",
                   "Where baselines and alert state persist. Default: $STATE_DIRECTORY, else "
                   "./state."),
              text_map("external_labels",
                       "^[a-zA-Z_][a-zA-Z0-9_]*$",
                       "Labels added to every series (no __ prefix, not one visionwatch sets)."),
          },
          secret("admin_token", "Bearer token of the mutating admin endpoints"),
          {
              list("admin_hosts",
                   "Host names (optional :port) the admin server answers to besides its own."),
              url("public_url", "Base of the links in alerts and on the status page."),
              url("media_base_url",
                  "Public URL of visionwatch's /media/, where gateways fetch images of routes "
                  "with media: remote_url."),
              integer(
                  "max_in_flight", 1, 100'000, "Probes in flight over all routes. Default 256."),
              duration("shutdown_grace",
                       "How long in-flight probes may finish on SIGTERM. Default 10s."),
              duration("max_retry_after",
                       "Longest a 429 with Retry-After may defer a route's probes. Default 15m."),
              map("budget", budget, "Spend guard over all gateways."),
              text("shard", "This instance's share of the routes: i/n (1 <= i <= n).")
                  .matching("^[0-9]+/[0-9]+$"),
              list("replica_labels",
                   "External labels that differ between the replicas of an HA pair and are "
                   "left out of alert identity. Default [replica]."),
          },
      })};
  return t;
}

const table& budget() {
  static const table t{
      "budget",
      "Spend guard: once today's (UTC) estimated spend reaches daily_usd, probes pause until "
      "midnight UTC.",
      {number("daily_usd", 0, 1e9, "0..1000000000 USD", "Daily limit in USD (more than 0).")
           .excluding_min()
           .needed()}};
  return t;
}

const table& defaults() {
  static const table t{"defaults", "Route settings every route inherits.", settings_fields()};
  return t;
}

const table& route() {
  static const table t{
      "route",
      "One model probed through one gateway (or a matrix of them), with the route settings.",
      joined({
          {
              text("name",
                   "Unique route name (a metric label); with matrix a template of {gateway} and "
                   "{model}, default {gateway}/{model}.")
                  .matching(R"(^[A-Za-z0-9{][A-Za-z0-9._:/@{}-]*$)")
                  .needed_unless("matrix"),
              text("gateway", "Name of the gateway to probe through.").needed_unless("matrix"),
              text("model", "Model name sent as `model`.").needed_unless("matrix"),
              map("matrix", matrix, "One route per gateway and model (not with gateway or model)."),
          },
          settings_fields(),
      })};
  return t;
}

const table& matrix() {
  static const table t{"matrix",
                       "Expands into one route per gateway and model.",
                       {
                           text("gateway", "One gateway name.").needed_unless("gateways"),
                           list("gateways", "Gateway names.").at_least(1).needed_unless("gateway"),
                           list("models", "Model names.").at_least(1).needed(),
                       }};
  return t;
}

const table& challenge() {
  static const table t{
      "challenge",
      "A generated challenge (kind) or a user-supplied probe (image_file or image_url, prompt, "
      "expect).",
      {
          choice("kind",
                 names_of<challenge_kind>(),
                 "Generated challenge. Default digits. Not with image_file or image_url."),
          integer("width", 64, 4096, "Image width in pixels. Default 512."),
          integer("height", 64, 4096, "Image height in pixels. Default 512."),
          integer("images",
                  1,
                  challenge_max_images,
                  "Generated challenges per probe, in one message. Default 1."),
          choice("media",
                 {"data_url", "remote_url"},
                 "Inline base64 image, or a URL the gateway fetches (needs "
                 "global.media_base_url or image_url). Default data_url."),
          choice("detail", {"low", "high", "auto"}, "The OpenAI detail hint. Default low."),
          integer("max_tokens", 1, 100'000, "Reply token limit. Default 50."),
          number("temperature", 0, 2, "0..2", "Sampling temperature. Default 0."),
          text("image_file",
               "User-supplied probe: a PNG or JPEG file, at most 20 MiB (relative to the "
               "configuration's directory)."),
          url("image_url",
              "User-supplied probe whose image the gateway fetches (media: remote_url)."),
          text("prompt", "The question of a user-supplied probe."),
          map("expect", expect, "The right answer of a user-supplied probe."),
      }};
  return t;
}

const table& expect() {
  static const table t{
      "expect",
      "A right answer: pattern and/or words; replaces an inherited one as a whole.",
      {
          text("pattern", "ECMAScript regular expression, matched case-insensitively.")
              .needed_unless("words"),
          list("words", "Any of these words is a right answer.")
              .at_least(1)
              .needed_unless("pattern"),
      }};
  return t;
}

const table& checks() {
  static const table t{
      "checks",
      "How a reply is judged besides its answer.",
      {
          integer("min_image_tokens",
                  0,
                  1'000'000,
                  "Prompt tokens an image must add over the text-only baseline. Default 50."),
          boolean("require_usage", "A reply without usage fails. Default false."),
          list("no_image_phrases",
               "Phrases meaning \"I got no image\"; replaces the built-in list."),
          list("refusal_phrases", "Phrases meaning a refusal; replaces the built-in list."),
          list("extra_no_image_phrases", "Appended to no_image_phrases."),
          list("extra_refusal_phrases", "Appended to refusal_phrases."),
          text("expect_model",
               "The served model that fits the route: a name prefix, re:<regex>, or off. "
               "Default: the route's model, matched tolerantly."),
      }};
  return t;
}

const table& price() {
  static const table t{
      "price",
      "USD per million tokens.",
      {
          number("input_per_million", 0, 1e6, "0..1000000 USD", "USD per million prompt tokens."),
          number(
              "output_per_million", 0, 1e6, "0..1000000 USD", "USD per million completion tokens."),
      }};
  return t;
}

const table& alerts() {
  static const table t{
      "alerts",
      "Alert rules and re-notification.",
      {
          duration("repeat_interval",
                   "Re-notify while an alert keeps firing (whole seconds). Default 4h."),
          map("rules", alert_rules, "Rules by name; keys merge with the inherited rule."),
      }};
  return t;
}

const table& alert_rules() {
  static const table t = [] {
    table out{"alert_rules", "Alert rules by name.", {}};
    for (const auto name : names_of<alert_rule_kind>()) {
      const auto kind = *alert_rule_kind_from_string(name);
      out.fields.push_back(map(name, rule_table(kind), std::string(rule_summary(kind))));
    }
    return out;
  }();
  return t;
}

const table& rule(alert_rule_kind kind) { return rule_table(kind)(); }

const table& gateway() {
  static const table t{
      "gateway",
      "An endpoint routes probe through.",
      joined({
          {
              text("name", "Unique gateway name (a metric label).").matching(name_pattern).needed(),
              url("base_url", "The API's base URL; the flavour's path is appended.").needed(),
              choice("api", api_flavour_names(), "API flavour. Default openai-chat."),
          },
          secret("api_key", "API key, sent in the flavour's key header"),
          {
              text_map("headers",
                       "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
                       "Extra request headers; values may use ${VAR} and are never echoed.")
                  .or_null(),
              map("tls", gateway_tls, "TLS settings."),
              url("proxy_url",
                  "HTTP CONNECT proxy (http://), or none to ignore HTTPS_PROXY and HTTP_PROXY. "
                  "Default: from the environment.")
                  .matching("^none$|^[Hh][Tt][Tt][Pp]://[^/?#]+[^#]*$"),
              integer("max_concurrency",
                      1,
                      10'000,
                      "Probes in flight against this gateway. Default 4."),
              boolean("keep_alive", "Reuse one connection. Default false."),
              duration("connect_timeout", "Connection deadline. Default 10s."),
              size("max_body",
                   1024,
                   1024.0 * 1024 * 1024,
                   "1KiB..1GiB",
                   "Largest reply body; larger fails as body_too_large. Default 4MiB."),
              text("bearer_token_file",
                   "A token a sidecar refreshes, sent as Authorization: Bearer; re-read when it "
                   "changes. Not with api_key_*."),
              text("anthropic_version",
                   "anthropic-messages only: the anthropic-version header. Default 2023-06-01.")
                  .matching(version_pattern),
              text("api_version",
                   "azure-openai only: the api-version query parameter. Default 2024-10-21.")
                  .matching(version_pattern),
              text("aws_region",
                   "bedrock-converse only: the SigV4 signing region. Default: from the "
                   "bedrock-runtime.<region>.amazonaws.com host.")
                  .matching("^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$"),
              map("aws_credentials",
                  aws_credentials,
                  "bedrock-converse only: SigV4 credentials. Default: AWS_ACCESS_KEY_ID, "
                  "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN."),
              map("budget", budget, "This gateway's spend guard."),
          },
      })};
  return t;
}

const table& gateway_tls() {
  static const table t{"gateway_tls", "TLS settings of a gateway.", tls_fields(true)};
  return t;
}

const table& aws_credentials() {
  static const table t{"aws_credentials",
                       "AWS SigV4 credentials; each part is a secret.",
                       joined({
                           secret("access_key_id", "AWS access key id (required)"),
                           secret("secret_access_key", "AWS secret access key (required)"),
                           secret("session_token", "STS session token"),
                       })};
  return t;
}

const table& receiver() {
  static const table t{
      "receiver",
      "Where alerts go.",
      joined({
          {
              text("name", "Unique receiver name.").matching(name_pattern).needed(),
              choice("type", names_of<receiver_kind>(), "Receiver type.").needed(),
              url("url",
                  "Target URL; required for webhook, slack and alertmanager (or url_env, "
                  "url_file, url_credential)."),
          },
          secret("url", "Target URL (a Slack webhook URL is a credential)"),
          secret("secret", "Webhook signing secret (whsec_...) or PagerDuty routing key"),
          {
              duration("timeout", "Per delivery attempt. Default 10s."),
              integer("max_attempts", 1, 1000, "Delivery attempts. Default 12."),
              duration("max_age",
                       "Drop undelivered notifications older than this (whole seconds). Default "
                       "24h."),
              duration("min_backoff", "First retry delay. Default 1s."),
              duration("max_backoff", "Longest retry delay. Default 5m."),
              integer("queue_size", 1, 1'000'000, "Pending notifications. Default 1000."),
              duration("resend_interval",
                       "alertmanager only: re-send firing alerts (whole seconds). Default 1m."),
              map("tls", receiver_tls, "TLS settings."),
          },
      })};
  return t;
}

const table& receiver_tls() {
  static const table t{"receiver_tls", "TLS settings of a receiver.", tls_fields(false)};
  return t;
}

const table& silence() {
  static const table t{
      "silence",
      "Mutes a route's alerts until a time.",
      {
          text("route", "Route name (matrix routes by their expanded name).").needed(),
          time("until", "RFC 3339 time, e.g. 2026-12-01T00:00:00Z.").needed(),
          text("comment", "Shown on the status page.").or_null(),
      }};
  return t;
}

std::vector<const table*> all_tables() {
  std::vector<const table*> out;
  std::set<const table*> seen;
  collect(document(), out, seen);
  return out;
}

}  // namespace visionwatch::config_fields
