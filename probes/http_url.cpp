#include "probes/http_url.hpp"

#include <boost/url/parse.hpp>

#include "probes/text_util.hpp"

namespace visionwatch {

std::optional<http_target> parse_http_target(std::string_view url, std::string& error) {
  auto r = boost::urls::parse_uri(url);
  if (!r) {
    error = "not an absolute URL";
    return std::nullopt;
  }
  const auto& u = *r;
  http_target t;
  const auto scheme = ascii_lower(u.scheme());
  if (scheme != "http" && scheme != "https") {
    error = "scheme must be http or https";
    return std::nullopt;
  }
  t.https = scheme == "https";
  if (u.host_address().empty()) {
    error = "no host";
    return std::nullopt;
  }
  t.host = ascii_lower(u.host_address());
  if (t.host.ends_with('.')) {
    t.host.pop_back();
  }
  const std::uint16_t default_port = t.https ? 443 : 80;
  t.port = default_port;
  if (u.has_port()) {
    if (u.port().empty() || u.port_number() == 0) {
      error = "invalid port";
      return std::nullopt;
    }
    t.port = u.port_number();
  }
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(t.host, ec);
  if (!ec) {
    t.ip = addr;
  }
  const std::string bracketed = (t.ip && t.ip->is_v6()) ? "[" + t.host + "]" : t.host;
  t.host_port = bracketed + ":" + std::to_string(t.port);
  t.host_header = t.port == default_port ? bracketed : t.host_port;
  t.origin_form = std::string(u.encoded_path());
  if (t.origin_form.empty()) {
    t.origin_form = "/";
  }
  if (u.has_query()) {
    t.origin_form += "?" + std::string(u.encoded_query());
  }
  t.absolute_form = scheme + "://" + t.host_port + t.origin_form;
  return t;
}

}  // namespace visionwatch
