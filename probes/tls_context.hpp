#pragma once
/// TLS client setup for the http client: the shared TLS contexts (one per trust setting, the CA
/// store loaded once), and the per-connection settings (SNI, ALPN, host name verification).

#include <boost/asio/ssl/context.hpp>  // OpenSSL's SSL too
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <memory>
#include <string>

#include "probes/http_types.hpp"

namespace visionwatch {

/// Clients with the same trust settings share one TLS context: with OpenSSL 3, loading the
/// system store costs a few hundred milliseconds of CPU and about a megabyte per context, and
/// one client exists per gateway. A CA file is identified with its size and mtime, so a
/// rotated file is loaded afresh (on reload) even while old clients still hold the old one.
/// Thread-safe. Throws std::runtime_error for a CA file or system store that cannot be loaded.
std::shared_ptr<boost::asio::ssl::context> shared_tls_context(const tls_options& o);

/// Sets what the ClientHello of one connection carries: SNI (for host names only, RFC 6066 3)
/// and ALPN "http/1.1".
void set_client_hello(SSL* native, const std::string& server_name, bool name_is_ip);

/// asio's host_name_verification, but a mismatch is recorded in the verify result so the
/// reason says "hostname mismatch" instead of a bare "certificate verify failed".
class verify_host {
 public:
  explicit verify_host(const std::string& name, bool is_ip) : check_(name), is_ip_(is_ip) {}
  bool operator()(bool preverified, boost::asio::ssl::verify_context& ctx) const;

 private:
  boost::asio::ssl::host_name_verification check_;
  bool is_ip_;
};

}  // namespace visionwatch
