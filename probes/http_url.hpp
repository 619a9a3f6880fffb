#pragma once
/// The parts of an absolute http(s) request URL that the http client needs: where to connect,
/// what to put in the Host header and in the request line. Pure, no I/O.

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace visionwatch {

struct http_target {
  bool https = false;
  std::string host;  ///< lower-case name or IP literal without brackets, trailing '.' removed
  std::uint16_t port = 0;
  std::optional<boost::asio::ip::address> ip;  ///< set when `host` is an IP literal
  std::string host_port;      ///< "host:port" / "[v6]:port", for reasons and CONNECT
  std::string host_header;    ///< port omitted when it is the scheme's default
  std::string origin_form;    ///< "/path?query"
  std::string absolute_form;  ///< "http://host:port/path?query", for plain http via a proxy
};

/// Parses an absolute http:// or https:// URL (scheme and host case-insensitive, default ports
/// 80 and 443). nullopt with a short `error` ("not an absolute URL", "scheme must be http or
/// https", "no host", "invalid port") otherwise.
std::optional<http_target> parse_http_target(std::string_view url, std::string& error);

}  // namespace visionwatch
