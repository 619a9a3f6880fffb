#pragma once
/// Name resolution for the http client on a shared pool of threads, with a deadline.
/// Lookups run on this pool, not on asio's resolver, which runs every async_resolve of an
/// io_context on one thread: one gateway's slow name server would delay every other gateway's
/// lookup into a false timeout.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "probes/net.hpp"

namespace visionwatch {

/// Tells pool lookups whether their client (and so its io_context) still exists: the client
/// sets `alive = false`, under the mutex, when it is destroyed.
struct client_lifeline {
  std::mutex mutex;
  bool alive = true;
};

struct lookup_result {
  bool finished = false;  ///< false: the deadline passed, or the wait was cancelled, first
  boost::system::error_code ec;
  std::vector<net::ip::tcp::endpoint> endpoints;  ///< when finished without error
};

/// Resolves host:port (numeric service, no AI_ADDRCONFIG) on the pool and waits on `executor`
/// until the answer, `deadline` or cancellation, whichever comes first. A lookup still running
/// when its waiter gave up finishes on the pool and delivers nowhere: getaddrinfo cannot be
/// interrupted, so the pool is never destroyed, and a lookup hanging at exit does not hold up
/// the process. `executor` must be the client's (valid while `life->alive`).
net::awaitable<lookup_result> resolve_on_pool(net::any_io_executor executor,
                                              std::shared_ptr<client_lifeline> life,
                                              std::string host,
                                              std::uint16_t port,
                                              std::chrono::steady_clock::time_point deadline);

}  // namespace visionwatch
