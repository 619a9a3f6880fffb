#pragma once
/// The admin HTTP/1.1 server (metrics, health, API, media, status page). Owns the listening
/// socket and every admin connection; serves the routes of an admin_router given at
/// construction. Runs on the caller's executor (the daemon's single io_context thread): every
/// member function must be called from that thread, or before run()/after it returned.
///
/// Hardening: a whole-request read deadline (slowloris), a write deadline, an idle keep-alive
/// timeout, header and body caps, a connection cap, bearer-token auth for mutating methods
/// compared in constant time, and a graceful stop that lets in-flight requests finish.

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/admin/admin_origin.hpp"
#include "daemon/admin/admin_router.hpp"
#include "probes/net.hpp"

namespace visionwatch {

namespace detail {
struct admin_server_state;
}

/// Result of parse_listen_endpoint: an endpoint, or a human error naming the bad input.
struct listen_address_result {
  std::optional<net::ip::tcp::endpoint> endpoint;
  std::string error;
};

/// "127.0.0.1:9464", "0.0.0.0:9464", "[::1]:9464", "[::]:9464"; port 0 picks a free port.
/// Only IP literals: a host name would make the listening address depend on DNS at start-up.
listen_address_result parse_listen_endpoint(std::string_view text);

struct admin_server_options {
  std::string listen = "127.0.0.1:9464";
  /// Bearer token for POST/PUT/PATCH/DELETE. When set, every mutating request must carry
  /// `Authorization: Bearer <token>`. GET and HEAD never need it (Prometheus scrapes /metrics).
  std::string token;
  /// Host names (port optional) the server answers to besides its own address, `localhost`,
  /// `127.0.0.1` and `[::1]` (global.admin_hosts); see admin_origin.hpp. Invalid entries make
  /// the constructor throw. A reload replaces them with set_host_policy().
  std::vector<std::string> allowed_hosts;
  /// Refuse to start without a token (the daemon sets this for non-loopback listeners).
  bool require_token_for_mutations = false;
  std::size_t header_limit = std::size_t{8} * 1024;  ///< request line + headers; beyond: 431
  std::size_t body_limit = std::size_t{64} * 1024;   ///< decoded body; beyond: 413
  /// Whole request, first byte to last (from accept for the first request): a client that
  /// trickles bytes is cut off here, however steadily it sends.
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds write_timeout{10'000};  ///< whole response
  std::chrono::milliseconds idle_timeout{60'000};   ///< keep-alive wait for the next request
  /// Open connections served at once. Beyond: answered 503 and closed (counted).
  std::size_t max_connections = 64;
  /// gzip for a client on a loopback address (127.0.0.0/8, ::1) that asks for it. Off: there
  /// it never pays (a 10,000-route /metrics: 59 MB plain in about 60 ms, gzip about 0.7 s of
  /// deflate on the io thread under load), so a local Prometheus gets the plain text whatever
  /// its Accept-Encoding; remote scrapers still get gzip when they ask (it pays on a network).
  bool gzip_loopback = false;
};

/// Plain counters for self-observability; the daemon exports them as metrics.
struct admin_server_stats {
  std::uint64_t connections_accepted = 0;  ///< includes rejected ones
  std::uint64_t connections_rejected = 0;  ///< over max_connections
  std::uint64_t read_timeouts = 0;         ///< requests cut off by read_timeout
  std::size_t connections_open = 0;
  /// Responses by status class: [0] 1xx (not counted: 100 Continue is interim), [1] 2xx,
  /// [2] 3xx, [3] 4xx, [4] 5xx.
  std::array<std::uint64_t, 5> responses{};
};

/// Which response a failed request read deserves; nullopt: close without a response (timeout,
/// peer gone, stop). Exposed for unit tests. `header_done`: the header parsed fine.
std::optional<http::status> status_for_read_error(const boost::system::error_code& ec,
                                                  bool header_done);

/// True when `authorization` is exactly "Bearer <token>" (scheme case-insensitive); compares
/// digests with CRYPTO_memcmp so neither content nor length leaks through timing.
bool bearer_token_matches(std::string_view authorization, std::string_view token);

class admin_server {
 public:
  /// Throws std::invalid_argument for a bad listen address or a missing required token.
  admin_server(net::any_io_executor executor, admin_server_options options, admin_router router);
  ~admin_server();
  admin_server(const admin_server&) = delete;
  admin_server& operator=(const admin_server&) = delete;

  /// Binds (SO_REUSEADDR) and starts accepting. Throws std::runtime_error naming the address
  /// ("admin server: cannot listen on 127.0.0.1:9464: Address already in use").
  void start();

  /// Stops accepting, closes idle connections, lets in-flight requests finish for up to `grace`
  /// (their responses say `Connection: close`), then cancels handlers and closes what is left.
  /// Returns once every connection is gone, or at most 1 s after the grace period for a handler
  /// that ignores cancellation. Idempotent.
  net::awaitable<void> stop(std::chrono::milliseconds grace);

  /// The bound address (the real port when listening on port 0). Valid after start().
  [[nodiscard]] net::ip::tcp::endpoint local_endpoint() const;
  [[nodiscard]] unsigned short port() const;

  [[nodiscard]] admin_server_stats stats() const;

  /// Replaces the allowed Host names (a reload of global.admin_hosts): requests read after
  /// this call are checked against `hosts`; one being handled is not affected. Build the
  /// policy first (its constructor is what can fail), so a reload swaps it in only on success.
  void set_host_policy(admin_host_policy hosts) noexcept;

 private:
  std::shared_ptr<detail::admin_server_state>
      state_;  // shared with the connection coroutines, which may outlive us
};

}  // namespace visionwatch
