#pragma once
/// Async HTTP/1.1 client over Beast (http and https, CONNECT proxies, IPv4/IPv6), with phase
/// timings and hard limits. One instance per gateway: it owns the TLS context (CA store loaded
/// once) and, with keep_alive, one idle connection. Not thread-safe: use from one io_context.

#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "probes/http_types.hpp"
#include "probes/net.hpp"

namespace visionwatch {

class http_client {
 public:
  /// Throws std::runtime_error at construction for a bad CA file or proxy URL (start-up error).
  http_client(net::any_io_executor executor, client_options options);
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Never throws for network outcomes: failures come back as `http_result::transport_error`.
  /// The coroutine can be cancelled (cancellation slot); it then returns `timeout`.
  net::awaitable<http_result> send(http_request request);

  [[nodiscard]] const client_options& options() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace visionwatch
