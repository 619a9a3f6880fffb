#include "probes/resolver.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <thread>

namespace visionwatch {
namespace {

using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

/// Lookup threads in flight, in all and per host. Never destroyed: detached lookup threads may
/// still use it at exit.
struct lookup_slots {
  std::mutex mutex;
  std::size_t total = 0;
  std::map<std::string, std::size_t, std::less<>> per_host;

  bool acquire(const std::string& host) {
    std::lock_guard lock(mutex);
    auto& n = per_host[host];
    if (total >= max_lookup_threads || n >= max_lookups_per_host) {
      if (n == 0) {
        per_host.erase(host);
      }
      return false;
    }
    ++n;
    ++total;
    return true;
  }
  void release(const std::string& host) {
    std::lock_guard lock(mutex);
    --total;
    if (auto it = per_host.find(host); it != per_host.end() && --it->second == 0) {
      per_host.erase(it);
    }
  }
};
lookup_slots& slots() {
  static auto* s = new lookup_slots();  // never destroyed: lookup threads may outlive main
  return *s;
}

/// The answer of one lookup, shared between the waiting request and the pool job. Plain data
/// only: the last owner may be a pool thread, after the client's io_context is gone. Written
/// and read on the client's executor only.
struct lookup_state {
  error_code ec;
  std::vector<tcp::endpoint> endpoints;
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

void deliver(const std::shared_ptr<lookup_state>& st,
             const net::any_io_executor& executor,
             const std::shared_ptr<client_lifeline>& life,
             lookup_answer answer) {
  // The executor is only valid while the client lives (its io_context outlives it); a lookup
  // that outlived its client drops the answer.
  std::lock_guard lock(life->mutex);
  if (!life->alive) {
    return;
  }
  net::post(executor, [st, answer = std::move(answer)]() mutable {
    st->ec = answer.ec;
    st->endpoints = std::move(answer.endpoints);
    st->finished = true;
    if (st->waiter != nullptr) {
      st->waiter->cancel();
    }
  });
}

void start_lookup(const std::shared_ptr<lookup_state>& st,
                  const net::any_io_executor& executor,
                  const std::shared_ptr<client_lifeline>& life,
                  std::string host,
                  std::string service,
                  lookup_function lookup) {
  if (!slots().acquire(host)) {
    // Earlier lookups of this host hang (or very many hosts do): fail now rather than queue.
    deliver(st, executor, life, {net::error::host_not_found_try_again, {}});
    return;
  }
  std::thread([st,
               executor,
               life,
               host = std::move(host),
               service = std::move(service),
               lookup = std::move(lookup)] {
    lookup_answer answer;
    try {
      answer = lookup(host, service);
    } catch (const std::exception&) {
      answer.ec = net::error::host_not_found_try_again;
    }
    slots().release(host);
    deliver(st, executor, life, std::move(answer));
  }).detach();
}

}  // namespace

lookup_answer system_lookup(const std::string& host, const std::string& service) {
  net::io_context ctx;  // a blocking resolve needs an executor; nothing runs on it
  tcp::resolver resolver(ctx);
  lookup_answer out;
  // No address_configured: on a host with only loopback, AI_ADDRCONFIG hides every address.
  const auto results = resolver.resolve(host, service, tcp::resolver::numeric_service, out.ec);
  for (const auto& e : results) {
    out.endpoints.push_back(e.endpoint());
  }
  return out;
}

net::awaitable<lookup_result> resolve_on_pool(net::any_io_executor executor,
                                              std::shared_ptr<client_lifeline> life,
                                              std::string host,
                                              std::uint16_t port,
                                              std::chrono::steady_clock::time_point deadline,
                                              lookup_function lookup) {
  auto st = std::make_shared<lookup_state>();
  net::steady_timer wakeup(executor, deadline);
  {
    st->waiter = &wakeup;
    const waiter_guard guard(*st);
    start_lookup(st, executor, life, std::move(host), std::to_string(port), std::move(lookup));
    co_await wakeup.async_wait(use_nothrow);
  }
  lookup_result out;
  out.finished = st->finished;
  out.ec = st->ec;
  if (st->finished && !st->ec) {
    out.endpoints = std::move(st->endpoints);
  }
  co_return out;
}

}  // namespace visionwatch
