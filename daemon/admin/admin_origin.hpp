#pragma once
/// Who may talk to the admin server from a browser: the rules that stop a web page on another
/// origin from changing anything (CSRF through CORS "simple requests") and a DNS-rebinding page
/// from reading anything. Pure functions of the request header and the connection's local
/// address, so every rule is unit-tested without sockets; admin_session.cpp applies them to each
/// request after routing and before the bearer token check.
///
///   - every request: the Host header (and an absolute-form target's authority) must name this
///     server: the address the connection arrived on, `localhost`, `127.0.0.1`, `[::1]` (port
///     absent or the listener's), or an `admin_hosts` entry (an entry's port, when given, must
///     match);
///   - every request other than GET/HEAD: an `Origin`, when present, must be this server's origin
///     (scheme http or https, same host and port as the Host header, itself allowed), and
///     `Sec-Fetch-Site`, when present, must be `same-origin` or `none`; then
///     `Content-Type: application/json` (parameters allowed) is required, which a browser cannot
///     send cross-origin without a CORS preflight that this server never approves.

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probes/net.hpp"

namespace visionwatch {

/// A parsed `host[:port]` (Host header, admin_hosts entry, an Origin's authority).
struct host_and_port {
  std::string host;                    ///< lower case, without IPv6 brackets and a final '.'
  std::optional<net::ip::address> ip;  ///< set for IPv4 and bracketed IPv6 literals
  std::optional<std::uint16_t> port;   ///< absent when not written
};

/// Parses `name`, `name:port`, `1.2.3.4:port`, `[v6]:port`. Names are DNS names (letters, digits,
/// '-', '_', dot-separated labels of 1-63 characters, 253 in all, an optional final '.'); ports
/// 1-65535. nullopt for anything else (URLs, paths, spaces, unbracketed IPv6, wildcards).
std::optional<host_and_port> parse_host_and_port(std::string_view text);

/// True when `entry` is a valid `global.admin_hosts` entry (parse_host_and_port accepts it).
bool admin_host_entry_valid(std::string_view entry);

/// The `host[:port]` of an http or https URL as an admin host entry (the daemon allows the hosts
/// of public_url and media_base_url: gateways and alert readers reach it under those names);
/// nullopt for an empty or unusable URL.
std::optional<std::string> url_host_entry(std::string_view url);

/// True when a Content-Type value's media type is `application/json` (case-insensitive,
/// parameters such as `; charset=utf-8` allowed).
bool is_json_content_type(std::string_view value);

/// Whether a client connected from a loopback address (127.0.0.0/8, ::1, or either as an
/// IPv4-mapped IPv6 address, as a [::] listener sees IPv4 clients).
bool is_loopback_client(const boost::asio::ip::address& remote);

/// Why a request is refused: its status (403 or 415), a short message for the client that names
/// the rule, and the rule's id for the log ("host", "origin", "sec-fetch-site", "content-type").
struct admin_refusal {
  http::status status = http::status::forbidden;
  std::string message;
  std::string_view rule;
};

/// The hosts one admin server answers to, built from `admin_hosts` (and the hosts of the public
/// URLs); read per request, replaced whole when a reload succeeds (admin_server::set_host_policy).
class admin_host_policy {
 public:
  admin_host_policy() = default;
  /// Throws std::invalid_argument naming the first invalid entry.
  explicit admin_host_policy(const std::vector<std::string>& admin_hosts);

  /// True when `h` names this server for a connection that arrived on `local`.
  [[nodiscard]] bool allows(const host_and_port& h, const net::ip::tcp::endpoint& local) const;

  /// The refusal for a request with this header on a connection that arrived on `local`, or
  /// nullopt when it may go on to the token check and its handler.
  [[nodiscard]] std::optional<admin_refusal> check(const http::request_header<>& header,
                                                   const net::ip::tcp::endpoint& local) const;

 private:
  std::vector<host_and_port> entries_;
};

}  // namespace visionwatch
