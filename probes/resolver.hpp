#pragma once
/// Name resolution for the http client, one thread per lookup, with a deadline.
/// Lookups do not run on asio's resolver, which runs every async_resolve of an io_context on one
/// thread, nor on a small fixed pool: either way one gateway's hung name server (getaddrinfo
/// cannot be interrupted) would hold every thread and delay other gateways' lookups into false
/// timeouts. Threads are bounded: at most max_lookups_per_host hung lookups per host and
/// max_lookup_threads in all; a lookup over a bound fails at once as a DNS error.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
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

inline constexpr std::size_t max_lookup_threads = 128;
inline constexpr std::size_t max_lookups_per_host = 16;

/// What one blocking lookup found.
struct lookup_answer {
  boost::system::error_code ec;
  std::vector<net::ip::tcp::endpoint> endpoints;
};
/// A blocking lookup of host and numeric service; runs on its own thread.
using lookup_function =
    std::function<lookup_answer(const std::string& host, const std::string& service)>;
/// getaddrinfo (without AI_ADDRCONFIG).
lookup_answer system_lookup(const std::string& host, const std::string& service);

struct lookup_result {
  bool finished = false;  ///< false: the deadline passed, or the wait was cancelled, first
  boost::system::error_code ec;
  std::vector<net::ip::tcp::endpoint> endpoints;  ///< when finished without error
};

/// Resolves host:port with `lookup` on a thread of its own and waits on `executor` until the
/// answer, `deadline` or cancellation, whichever comes first. A lookup still running when its
/// waiter gave up finishes on its detached thread and delivers nowhere (a lookup hanging at exit
/// does not hold up the process). `executor` must be the client's (valid while `life->alive`).
net::awaitable<lookup_result> resolve_on_pool(net::any_io_executor executor,
                                              std::shared_ptr<client_lifeline> life,
                                              std::string host,
                                              std::uint16_t port,
                                              std::chrono::steady_clock::time_point deadline,
                                              lookup_function lookup = system_lookup);

}  // namespace visionwatch
