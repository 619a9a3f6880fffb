#include "daemon/admin/admin_origin.hpp"

#include "probes/text_util.hpp"

#include <boost/beast/core/string.hpp>
#include <charconv>
#include <stdexcept>

namespace visionwatch {
namespace {

constexpr std::size_t max_shown = 100;  // of a client's header value echoed in a refusal

bool valid_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) {
    return false;
  }
  std::size_t label = 0;
  char previous = '.';
  for (const char c : name) {
    if (c == '.') {
      if (label == 0 || previous == '-') {
        return false;
      }
      label = 0;
    } else {
      const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && c != '-' && c != '_') {
        return false;
      }
      if (label == 0 && c == '-') {
        return false;
      }
      if (++label > 63) {
        return false;
      }
    }
    previous = c;
  }
  return previous != '-';
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value == 0 ||
      value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

/// An IPv4-mapped IPv6 address ([::] listeners see IPv4 clients so) compares as IPv4.
net::ip::address unmapped(const net::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6());
  }
  return a;
}

/// A client's header value, shortened and with control characters replaced, for a refusal.
std::string shown(std::string_view value) {
  std::string out;
  for (const char c : value.substr(0, max_shown)) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(byte < 0x20 || byte == 0x7f ? '?' : c);
  }
  if (value.size() > max_shown) {
    out += "...";
  }
  return out;
}

/// An Origin header's `scheme://host[:port]`, its port made explicit, and its scheme's default
/// port (what a Host header without a port means for a page of that scheme).
struct parsed_origin {
  host_and_port authority;
  std::uint16_t default_port = 0;
};

std::optional<parsed_origin> parse_origin(std::string_view origin) {
  parsed_origin out;
  if (origin.starts_with("http://")) {
    origin.remove_prefix(7);
    out.default_port = 80;
  } else if (origin.starts_with("https://")) {
    origin.remove_prefix(8);
    out.default_port = 443;
  } else {
    return std::nullopt;  // "null", other schemes, garbage
  }
  auto h = parse_host_and_port(origin);
  if (!h) {
    return std::nullopt;
  }
  out.authority = std::move(*h);
  if (!out.authority.port) {
    out.authority.port = out.default_port;
  }
  return out;
}

/// The authority of an absolute-form target ("http://host:port/path"); nullopt for origin-form.
std::optional<std::string_view> absolute_form_authority(std::string_view target) {
  if (target.starts_with("http://")) {
    target.remove_prefix(7);
  } else if (target.starts_with("https://")) {
    target.remove_prefix(8);
  } else {
    return std::nullopt;
  }
  return target.substr(0, target.find_first_of("/?#"));
}

bool same_authority(const host_and_port& a, const host_and_port& b) {
  if (a.port != b.port) {
    return false;
  }
  if (a.ip && b.ip) {
    return unmapped(*a.ip) == unmapped(*b.ip);
  }
  return a.host == b.host;
}

admin_refusal forbidden(std::string message, std::string_view rule) {
  return {http::status::forbidden, std::move(message), rule};
}

}  // namespace

std::optional<host_and_port> parse_host_and_port(std::string_view text) {
  host_and_port out;
  std::string_view host;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return std::nullopt;
      }
      out.port = parse_port(rest.substr(1));
      if (!out.port) {
        return std::nullopt;
      }
    }
    boost::system::error_code ec;
    const auto v6 = net::ip::make_address_v6(std::string(host), ec);
    if (ec || host.find('%') != std::string_view::npos) {  // no zone ids
      return std::nullopt;
    }
    out.ip = v6;
    out.host = v6.to_string();
    return out;
  }
  const auto colon = text.find(':');
  host = text.substr(0, colon);
  if (colon != std::string_view::npos) {
    out.port = parse_port(text.substr(colon + 1));
    if (!out.port) {
      return std::nullopt;  // a second ':' (unbracketed IPv6) fails here too
    }
  }
  if (!valid_dns_name(host)) {
    return std::nullopt;
  }
  if (host.ends_with('.')) {
    host.remove_suffix(1);
  }
  out.host = ascii_lower(host);
  if (host.find_first_not_of("0123456789.") == std::string_view::npos) {
    boost::system::error_code ec;
    const auto v4 = net::ip::make_address_v4(out.host, ec);
    if (ec) {
      return std::nullopt;  // all digits but not an address: no host is named like that
    }
    out.ip = v4;
  }
  return out;
}

bool admin_host_entry_valid(std::string_view entry) {
  return parse_host_and_port(entry).has_value();
}

std::optional<std::string> url_host_entry(std::string_view url) {
  auto authority = absolute_form_authority(url);
  if (!authority) {
    return std::nullopt;
  }
  if (const auto at = authority->rfind('@'); at != std::string_view::npos) {
    authority->remove_prefix(at + 1);  // user:password@ never becomes an admin host
  }
  if (!parse_host_and_port(*authority)) {
    return std::nullopt;
  }
  return std::string(*authority);
}

bool is_json_content_type(std::string_view value) {
  return beast::iequals(trim(value.substr(0, value.find(';')), http_ows), "application/json");
}

admin_host_policy::admin_host_policy(const std::vector<std::string>& admin_hosts) {
  for (const auto& entry : admin_hosts) {
    auto h = parse_host_and_port(entry);
    if (!h) {
      throw std::invalid_argument("admin server: admin host '" + shown(entry) +
                                  "' is not a host name with an optional :port "
                                  "(e.g. visionwatch.internal or monitor.example:8443)");
    }
    entries_.push_back(std::move(*h));
  }
}

bool admin_host_policy::allows(const host_and_port& h, const net::ip::tcp::endpoint& local) const {
  const bool port_is_ours = !h.port || *h.port == local.port();
  if (h.ip) {
    const auto ip = unmapped(*h.ip);
    if (port_is_ours && (ip == unmapped(local.address()) ||
                         ip == net::ip::address(net::ip::address_v4::loopback()) ||
                         ip == net::ip::address(net::ip::address_v6::loopback()))) {
      return true;
    }
  } else if (port_is_ours && h.host == "localhost") {
    return true;
  }
  for (const auto& e : entries_) {
    const bool same_host = e.ip && h.ip ? unmapped(*e.ip) == unmapped(*h.ip) : e.host == h.host;
    if (same_host && (!e.port || e.port == h.port)) {
      return true;
    }
  }
  return false;
}

std::optional<admin_refusal> admin_host_policy::check(const http::request_header<>& header,
                                                      const net::ip::tcp::endpoint& local) const {
  // Every request: a page on another name that resolves here (DNS rebinding) sends its own name.
  std::optional<host_and_port> host;
  const auto hosts = header.equal_range(http::field::host);
  for (auto it = hosts.first; it != hosts.second; ++it) {
    auto h = parse_host_and_port(it->value());
    if (!h || !allows(*h, local) || (host && !same_authority(*host, *h))) {
      return forbidden("Host header '" + shown(it->value()) +
                           "' is not an allowed admin host (global.admin_hosts)",
                       "host");
    }
    host = std::move(h);
  }
  if (const auto authority = absolute_form_authority(header.target())) {
    const auto h = parse_host_and_port(*authority);
    if (!h || !allows(*h, local)) {
      return forbidden("request target host '" + shown(*authority) +
                           "' is not an allowed admin host (global.admin_hosts)",
                       "host");
    }
  }
  const auto method = header.method();
  if (method == http::verb::get || method == http::verb::head) {
    return std::nullopt;
  }

  // Mutations: a browser says where the page that sent them came from.
  if (const auto origin = header.find(http::field::origin); origin != header.end()) {
    const auto o = parse_origin(origin->value());
    bool same = o && allows(o->authority, local);
    if (same && host) {
      auto h = *host;
      h.port = h.port ? h.port : o->default_port;
      same = same_authority(o->authority, h);
    }
    if (!same) {
      return forbidden("Origin '" + shown(origin->value()) +
                           "' is not this admin server: a page from another origin may not "
                           "change anything",
                       "origin");
    }
  }
  if (const auto site = header.find("Sec-Fetch-Site"); site != header.end()) {
    const auto v = trim(site->value(), http_ows);
    if (!beast::iequals(v, "same-origin") && !beast::iequals(v, "none")) {
      return forbidden("Sec-Fetch-Site '" + shown(v) +
                           "': only the admin server's own pages may change anything",
                       "sec-fetch-site");
    }
  }
  const auto type = header.find(http::field::content_type);
  if (type == header.end() || !is_json_content_type(type->value())) {
    return admin_refusal{http::status::unsupported_media_type,
                         "requests that change something need Content-Type: application/json",
                         "content-type"};
  }
  return std::nullopt;
}

bool is_loopback_client(const net::ip::address& remote) { return unmapped(remote).is_loopback(); }

}  // namespace visionwatch
