#include "probes/proxy_rules.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "probes/text_util.hpp"

namespace visionwatch {
namespace {

namespace ip = boost::asio::ip;

std::optional<std::uint16_t> parse_port(std::string_view s) {
  unsigned value = 0;
  const auto* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, value);
  if (s.empty() || ec != std::errc{} || p != end || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

std::optional<ip::address> parse_ip(std::string_view s) {
  boost::system::error_code ec;
  auto a = ip::make_address(std::string(s), ec);
  if (ec) {
    return std::nullopt;
  }
  return a;
}

/// One NO_PROXY entry split into its host pattern and optional port.
struct no_proxy_entry {
  std::string_view pattern;
  std::optional<std::uint16_t> port;
  bool valid = true;
};

no_proxy_entry split_entry(std::string_view e) {
  no_proxy_entry out;
  if (e.front() == '[') {  // [v6] or [v6]:port
    const auto close = e.find(']');
    if (close == std::string_view::npos) {
      out.valid = false;
      return out;
    }
    out.pattern = e.substr(1, close - 1);
    auto rest = e.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() == ':') {
        out.port = parse_port(rest.substr(1));
      }
      if (rest.front() != ':' || !out.port) {
        out.valid = false;
      }
    }
    return out;
  }
  // More than one ':' without brackets is a bare IPv6 literal (or CIDR), never host:port.
  const auto colon = e.find(':');
  if (colon != std::string_view::npos && e.find(':', colon + 1) == std::string_view::npos) {
    out.pattern = e.substr(0, colon);
    out.port = parse_port(e.substr(colon + 1));
    if (!out.port) {
      out.valid = false;
    }
    return out;
  }
  out.pattern = e;
  return out;
}

bool ip_matches(std::string_view pattern, const ip::address& host) {
  const auto slash = pattern.find('/');
  if (slash == std::string_view::npos) {
    auto a = parse_ip(pattern);
    return a && *a == host;
  }
  boost::system::error_code ec;
  if (host.is_v4()) {
    auto net = ip::make_network_v4(std::string(pattern), ec);
    if (ec) {
      return false;
    }
    auto canon = net.canonical();
    return ip::network_v4(host.to_v4(), net.prefix_length()).canonical() == canon;
  }
  auto net = ip::make_network_v6(std::string(pattern), ec);
  if (ec) {
    return false;
  }
  auto canon = net.canonical();
  return ip::network_v6(host.to_v6(), net.prefix_length()).canonical() == canon;
}

bool name_matches(std::string pattern, std::string_view host) {
  if (pattern.starts_with("*.")) {
    pattern.erase(0, 2);
  } else if (pattern.starts_with('.')) {
    pattern.erase(0, 1);
  }
  if (pattern.ends_with('.')) {
    pattern.pop_back();
  }
  if (pattern.empty()) {
    return false;
  }
  if (host == pattern) {
    return true;
  }
  return host.size() > pattern.size() && host.ends_with(pattern) &&
         host[host.size() - pattern.size() - 1] == '.';
}

}  // namespace

std::string proxy_endpoint::display() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

proxy_endpoint parse_proxy_url(std::string_view url_in) {
  // Like curl: a value without a scheme ("127.0.0.1:3128", "user:pass@proxy:3128") is http.
  const bool has_scheme = url_in.find("://") != std::string_view::npos;
  const std::string with_scheme =
      has_scheme ? std::string(url_in) : "http://" + std::string(url_in);
  const std::string_view url = with_scheme;
  auto r = boost::urls::parse_uri(url);
  if (!r) {
    throw std::invalid_argument("proxy URL is not a valid absolute URL");
  }
  const auto& u = *r;
  const std::string scheme = ascii_lower(u.scheme());
  if (scheme.starts_with("socks")) {
    throw std::invalid_argument("SOCKS proxies are not supported (got '" + scheme +
                                "'); use an http:// proxy");
  }
  if (scheme != "http") {
    throw std::invalid_argument("proxy URL scheme must be http (got '" + std::string(u.scheme()) +
                                "')");
  }
  if (u.host_address().empty()) {
    throw std::invalid_argument("proxy URL has no host");
  }
  if (!u.encoded_path().empty() && u.encoded_path() != "/") {
    throw std::invalid_argument("proxy URL must not have a path");
  }
  if (u.has_query() || u.has_fragment()) {
    throw std::invalid_argument("proxy URL must not have a query or fragment");
  }
  proxy_endpoint p;
  p.host = ascii_lower(u.host_address());
  if (u.has_port()) {
    auto port = parse_port(u.port());
    if (!port) {
      throw std::invalid_argument("proxy URL has an invalid port");
    }
    p.port = *port;
  }
  if (u.has_userinfo()) {
    p.authorization =
        "Basic " + base64_encode(std::string(u.user()) + ":" + std::string(u.password()));
  }
  return p;
}

bool no_proxy_matches(std::string_view no_proxy, std::string_view host_in, std::uint16_t port) {
  std::string host = ascii_lower(host_in);
  if (host.ends_with('.')) {
    host.pop_back();
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const auto host_ip = parse_ip(host);
  while (!no_proxy.empty()) {
    const auto comma = no_proxy.find(',');
    auto raw = trim(no_proxy.substr(0, comma));
    no_proxy = comma == std::string_view::npos ? std::string_view{} : no_proxy.substr(comma + 1);
    if (raw.empty()) {
      continue;
    }
    if (raw == "*") {
      return true;
    }
    const auto e = split_entry(raw);
    if (!e.valid || e.pattern.empty() || (e.port && *e.port != port)) {
      continue;
    }
    const std::string pattern = ascii_lower(e.pattern);
    if (host_ip) {
      if (ip_matches(pattern, *host_ip)) {
        return true;
      }
    } else if (!parse_ip(pattern) && pattern.find('/') == std::string::npos &&
               name_matches(pattern, host)) {
      return true;
    }
  }
  return false;
}

proxy_rules proxy_rules::make(const std::string& explicit_url,
                              bool use_env,
                              const env_lookup& env) {
  proxy_rules rules;
  if (!explicit_url.empty()) {
    try {
      rules.https_ = rules.http_ = parse_proxy_url(explicit_url);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("proxy_url: ") + e.what());
    }
    return rules;
  }
  if (!use_env) {
    return rules;
  }
  auto first = [&](const char* upper_name,
                   const char* lower_name) -> std::pair<const char*, std::optional<std::string>> {
    if (auto v = env(upper_name); v && !v->empty()) {
      return {upper_name, v};
    }
    if (auto v = env(lower_name); v && !v->empty()) {
      return {lower_name, v};
    }
    return {nullptr, std::nullopt};
  };
  // A bad value breaks only the requests that would use it (select_or_error), not start-up.
  auto load = [&](const char* upper_name, const char* lower_name, std::string& error) {
    std::optional<proxy_endpoint> p;
    auto [name, value] = first(upper_name, lower_name);
    if (!value) {
      return p;
    }
    try {
      p = parse_proxy_url(*value);
    } catch (const std::invalid_argument& e) {
      error = std::string(name) + ": " + e.what();
    }
    return p;
  };
  rules.https_ = load("HTTPS_PROXY", "https_proxy", rules.https_error_);
  rules.http_ = load("HTTP_PROXY", "http_proxy", rules.http_error_);
  if (auto [name, value] = first("NO_PROXY", "no_proxy"); value) {
    rules.no_proxy_ = *value;
  }
  return rules;
}

proxy_rules proxy_rules::make(const std::string& explicit_url, bool use_env) {
  return make(explicit_url, use_env, [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);  // read once, at start-up
    if (v == nullptr) {
      return std::nullopt;
    }
    return std::string(v);
  });
}

const proxy_endpoint* proxy_rules::select(bool https,
                                          std::string_view host,
                                          std::uint16_t port) const {
  const auto& p = https ? https_ : http_;
  if (!p) {
    return nullptr;
  }
  if (!no_proxy_.empty() && no_proxy_matches(no_proxy_, host, port)) {
    return nullptr;
  }
  return &*p;
}

const std::string* proxy_rules::error_for(bool https,
                                          std::string_view host,
                                          std::uint16_t port) const {
  const std::string& e = https ? https_error_ : http_error_;
  if (e.empty() || (!no_proxy_.empty() && no_proxy_matches(no_proxy_, host, port))) {
    return nullptr;
  }
  return &e;
}

}  // namespace visionwatch
