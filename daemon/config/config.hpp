#pragma once
/// The typed configuration. Loaded once from YAML (or JSON) by load_config(); strict: unknown
/// keys, wrong types and bad values are errors naming the file, line and path; all errors of a
/// file are reported together. Secrets are resolved at load time and held only here.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alerts/alert_config.hpp"
#include "daemon/config/config_values.hpp"
#include "daemon/config/shard.hpp"
#include "probes/adapter.hpp"
#include "probes/bearer_token.hpp"
#include "probes/challenge.hpp"
#include "probes/http_types.hpp"
#include "probes/probe_shape.hpp"
#include "probes/verdict.hpp"

namespace visionwatch {

enum class media_mode : std::uint8_t {
  data_url,    ///< the image travels inline as a base64 data: URL (default)
  remote_url,  ///< the gateway fetches the image over HTTP (from media_base_url, or image_url)
};

/// What a route asks and how the image travels.
struct challenge_config {
  challenge_kind kind = challenge_kind::digits;
  int width = 512;
  int height = 512;
  int images = 1;  ///< generated challenges per probe, sent in one message (1..4)
  media_mode media = media_mode::data_url;
  std::string detail = "low";  ///< low | high | auto
  int max_tokens = 50;
  double temperature = 0;
  /// User-supplied probe instead of a generated challenge: image file, prompt, expectation.
  std::string image_file;
  std::string image_url;  ///< remote image for a user-supplied probe with media: remote_url
  std::string prompt;
  std::string expect_pattern;             ///< regex
  /// expect_pattern compiled once at load; every probe of the route (and each reload's copy)
  /// shares it. Null when expect_pattern is empty.
  std::shared_ptr<const answer_pattern> expect_regex;
  std::vector<std::string> expect_words;  ///< any of these
  [[nodiscard]] bool custom() const noexcept { return !image_file.empty() || !image_url.empty(); }
};

struct price_config {
  double input_per_million = 0;   ///< USD per 1M prompt tokens
  double output_per_million = 0;  ///< USD per 1M completion tokens
};

/// Settings every route inherits from `defaults:` and may override.
struct route_settings {
  std::chrono::milliseconds interval{60'000};
  std::chrono::milliseconds timeout{30'000};
  std::chrono::milliseconds baseline_interval{3'600'000};
  /// After a failed probe the next one comes this long after it instead of at the next interval,
  /// until a probe succeeds (`retry_interval`, at most the interval).
  std::optional<std::chrono::milliseconds> retry_interval;
  std::size_t window = 100;  ///< probes in the windowed quantiles and ratios
  /// Ask for a streamed reply and measure time to first token (`stream: true`); only for an
  /// api flavour that can stream.
  bool stream = false;
  /// The request forms and images the route's probes take in rotation, one per interval
  /// (`shapes:`, docs/configuration.md); `check` runs every one. Never empty, no duplicates.
  std::vector<probe_shape> shapes{probe_shape::plain};
  challenge_config challenge;
  verdict_checks checks;
  price_config price;
  alert_rules_config alerts;

  /// retry_interval, or when unset a quarter of the interval, at least 30 s and at most the
  /// interval: a failure is confirmed sooner, and a route failing all day costs at most 4 times
  /// its usual spend (2 times at the default interval of 60 s).
  [[nodiscard]] std::chrono::milliseconds effective_retry_interval() const noexcept {
    return retry_interval.value_or(
        std::min(interval, std::max(interval / 4, std::chrono::milliseconds(30'000))));
  }
};

/// `budget:` on a gateway or in `global`: probes pause for the rest of the UTC day once the
/// estimated spend reaches daily_usd.
struct budget_config {
  std::optional<double> daily_usd;  ///< unset: no limit
};

struct gateway_config {
  std::string name;
  std::string base_url;
  api_flavour api = api_flavour::openai_chat;
  std::string api_key;  ///< resolved secret (env, file or systemd credential); may be empty
  /// bearer_token_file: a token a sidecar refreshes, sent as `Authorization: Bearer` by every
  /// flavour (instead of api_key, which is then empty). Shared by copies of the configuration.
  std::shared_ptr<bearer_token_file> bearer_token;
  std::string anthropic_version;  ///< anthropic-messages only; empty: the adapter's default
  std::string api_version;        ///< azure-openai only; empty: the adapter's default
  header_list headers;            ///< extra headers, values may be secret
  client_options client;          ///< TLS, proxy, timeouts, body cap, keep-alive
  std::size_t max_concurrency = 4;
  /// bedrock-converse: the SigV4 signing region (`aws_region`, else from the host name).
  std::string aws_region;
  /// bedrock-converse without `api_key`: SigV4 credentials (`aws_credentials`, else
  /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). The secret key and the token are
  /// secrets.
  sigv4::credentials aws_credentials;
  budget_config budget;  ///< this gateway's daily spend limit
};

struct route_config {
  std::string name;
  std::string gateway;  ///< a gateway_config::name
  std::string model;
  route_settings settings;
  int line = 0;  ///< where it was declared, for messages
};

struct global_config {
  std::string listen = "127.0.0.1:9464";
  std::string state_dir;  ///< empty: $STATE_DIRECTORY, else ./state
  std::map<std::string, std::string> external_labels;
  std::string admin_token;  ///< bearer token for mutating endpoints (secret)
  /// Host names (optional :port) the admin server answers to besides its own address and the
  /// loopback names: a reverse proxy's or a DNS name's. Validated: names, IPv4, [IPv6].
  std::vector<std::string> admin_hosts;
  std::string public_url;      ///< link base for alerts and the status page
  std::string media_base_url;  ///< public base URL of /media/ for media: remote_url challenges
  std::size_t max_in_flight = 256;
  std::chrono::milliseconds shutdown_grace{10'000};
  /// Longest deferral a Retry-After reply may impose on a route (a longer one is capped).
  std::chrono::milliseconds max_retry_after{15 * 60 * 1000};
  budget_config budget;  ///< the daily spend limit over all gateways
  /// `shard: "i/n"` (or `--shard`): this instance probes only the routes the shard owns
  /// (daemon/config/shard.hpp); 1/1, the default, owns every route.
  shard_spec shard;
  /// External labels that tell the replicas of an HA pair apart (`replica_labels`, default
  /// [replica]): on every series, like the others, but not on alerts, so both replicas send
  /// alerts with the same labels and fingerprint and Alertmanager deduplicates them.
  std::vector<std::string> replica_labels = {"replica"};
  /// external_labels without the replica labels: the labels every alert carries and hashes.
  [[nodiscard]] std::map<std::string, std::string> alert_labels() const;
};

struct config {
  std::string path;
  global_config global;
  std::vector<gateway_config> gateways;
  std::vector<route_config> routes;
  std::vector<receiver_config> receivers;
  std::vector<silence_config> silences;

  [[nodiscard]] const gateway_config* find_gateway(std::string_view name) const noexcept;
};

/// One error: "config.yaml:14: routes[2].interval: \"5x\" is not a duration (use 30s, 5m, 1h)".
struct config_error {
  std::string file;
  int line = 0;  ///< 1-based; 0 when unknown
  std::string path;
  std::string message;
  [[nodiscard]] std::string to_string() const;
};

struct config_result {
  std::optional<config> value;  ///< set only when errors is empty
  std::vector<config_error> errors;
};

/// Reads and validates a file. Never throws for bad input; unreadable files are an error too.
/// `env` looks up ${VAR} substitutions, *_env secrets and CREDENTIALS_DIRECTORY (defaults to
/// getenv). Relative paths in the file (image_file, ca_file, *_file) are resolved against the
/// directory of `path` / `file_name`.
config_result load_config(const std::string& path);
config_result load_config(const std::string& path, const env_lookup& env);
config_result parse_config(std::string_view text, const std::string& file_name);
config_result parse_config(std::string_view text,
                           const std::string& file_name,
                           const env_lookup& env);

}  // namespace visionwatch
