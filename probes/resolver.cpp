#include "probes/resolver.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

namespace visionwatch {
namespace {

using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

/// Never destroyed (see resolve_on_pool).
constexpr std::size_t dns_threads = 4;
net::thread_pool& dns_pool() {
  static auto* pool = new net::thread_pool(dns_threads);  // NOLINT(cppcoreguidelines-owning-memory)
  return *pool;
}

/// The answer of one lookup, shared between the waiting request and the pool job. Plain data
/// only: the last owner may be a pool thread, after the client's io_context is gone. Written
/// and read on the client's executor only.
struct lookup_state {
  error_code ec;
  tcp::resolver::results_type results;
  bool finished = false;
  net::steady_timer* waiter = nullptr;  ///< the request's timer while it waits, else null
};

/// Clears lookup_state::waiter when the waiting frame ends, however it ends.
struct waiter_guard {
  explicit waiter_guard(lookup_state& s) : state(s) {}
  ~waiter_guard() { state.waiter = nullptr; }
  waiter_guard(const waiter_guard&) = delete;
  waiter_guard& operator=(const waiter_guard&) = delete;
  lookup_state& state;
};

void start_lookup(const std::shared_ptr<lookup_state>& st,
                  const net::any_io_executor& executor,
                  const std::shared_ptr<client_lifeline>& life,
                  std::string host,
                  std::string service) {
  net::post(dns_pool(), [st, executor, life, host = std::move(host), service = std::move(service)] {
    tcp::resolver resolver(dns_pool().get_executor());
    error_code ec;
    // No address_configured: on a host with only loopback, AI_ADDRCONFIG hides every address.
    auto results = resolver.resolve(host, service, tcp::resolver::numeric_service, ec);
    // The executor is only valid while the client lives (its io_context outlives it); a
    // lookup that outlived its client drops the answer.
    std::lock_guard lock(life->mutex);
    if (!life->alive) {
      return;
    }
    net::post(executor, [st, ec, results = std::move(results)]() mutable {
      st->ec = ec;
      st->results = std::move(results);
      st->finished = true;
      if (st->waiter != nullptr) {
        st->waiter->cancel();
      }
    });
  });
}

}  // namespace

net::awaitable<lookup_result> resolve_on_pool(net::any_io_executor executor,
                                              std::shared_ptr<client_lifeline> life,
                                              std::string host,
                                              std::uint16_t port,
                                              std::chrono::steady_clock::time_point deadline) {
  auto st = std::make_shared<lookup_state>();
  net::steady_timer wakeup(executor, deadline);
  {
    st->waiter = &wakeup;
    const waiter_guard guard(*st);
    start_lookup(st, executor, life, std::move(host), std::to_string(port));
    co_await wakeup.async_wait(use_nothrow);
  }
  lookup_result out;
  out.finished = st->finished;
  out.ec = st->ec;
  if (st->finished && !st->ec) {
    for (const auto& e : st->results) {
      out.endpoints.push_back(e.endpoint());
    }
  }
  co_return out;
}

}  // namespace visionwatch
