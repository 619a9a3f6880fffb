#pragma once
/// Which HTTP proxy (if any) carries a request: parsing of proxy URLs and the NO_PROXY rules.
/// Pure: no I/O; the environment is read through an injected lookup so tests need no setenv.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace visionwatch {

/// One forward proxy. `authorization` is a ready "Basic ..." Proxy-Authorization value (a secret:
/// never logged, never in a reason) or empty.
struct proxy_endpoint {
  std::string host;  ///< name or IP literal, IPv6 without brackets
  std::uint16_t port = 80;
  std::string authorization;

  /// "host:port" ([v6]:port) for reasons and logs; never includes credentials.
  [[nodiscard]] std::string display() const;
  bool operator==(const proxy_endpoint&) const = default;
};

/// Parses "http://[user:pass@]host[:port][/]" (port defaults to 80; user and password are
/// percent-decoded). Like curl, a value without a scheme ("127.0.0.1:3128") means http://; SOCKS
/// and https:// proxies are rejected. Throws std::invalid_argument with a message that never repeats the
/// credentials for anything else (other schemes, paths, missing host, bad port).
proxy_endpoint parse_proxy_url(std::string_view url);

/// True when `host` (a name, or an IP literal without brackets) on `port` must bypass the proxy
/// under a NO_PROXY list: comma-separated entries, each `*` (everything), a domain name (matches
/// itself and every subdomain; a leading "." or "*." is ignored), an IP literal, an IP network
/// in CIDR form ("10.0.0.0/8", "fd00::/8"), optionally with ":port" ("[::1]:8443" for IPv6).
/// Comparison is case-insensitive; a trailing "." on names is ignored; empty entries are skipped.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port);

/// The proxy choice of one client, fixed at construction.
class proxy_rules {
 public:
  using env_lookup = std::function<std::optional<std::string>(const char* name)>;

  /// No proxy at all.
  proxy_rules() = default;
  /// `explicit_url` non-empty: every request goes through it (NO_PROXY does not apply).
  /// Otherwise, when `use_env`, HTTPS_PROXY/https_proxy carries https targets and
  /// HTTP_PROXY/http_proxy carries http targets (upper case wins), except hosts matched by
  /// NO_PROXY/no_proxy. Throws std::invalid_argument for an invalid `explicit_url` (a config
  /// error). An invalid environment proxy does not throw: it breaks only the requests that would
  /// use it, see error_for().
  static proxy_rules make(const std::string& explicit_url, bool use_env, const env_lookup& env);
  /// make() with the process environment.
  static proxy_rules make(const std::string& explicit_url, bool use_env);

  /// The proxy for a target, or nullptr for a direct connection.
  [[nodiscard]] const proxy_endpoint* select(bool https,
                                             std::string_view host,
                                             std::uint16_t port) const;
  /// When the environment variable that would carry this target held an invalid proxy URL: the
  /// error, naming the variable and never its value ("HTTPS_PROXY: proxy URL has no host").
  /// nullptr when the target goes direct (no variable, or NO_PROXY matches) or the proxy is fine.
  [[nodiscard]] const std::string* error_for(bool https,
                                             std::string_view host,
                                             std::uint16_t port) const;

 private:
  std::optional<proxy_endpoint> https_;
  std::optional<proxy_endpoint> http_;
  std::string no_proxy_;
  std::string https_error_;  ///< why HTTPS_PROXY/https_proxy is unusable; empty when fine
  std::string http_error_;   ///< why HTTP_PROXY/http_proxy is unusable; empty when fine
};

}  // namespace visionwatch
