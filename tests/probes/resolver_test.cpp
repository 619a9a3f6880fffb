#include "probes/resolver.hpp"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace resolver_test {

using namespace visionwatch;
using namespace std::chrono_literals;

namespace {

/// A name server where `hung.example` never answers until released, and every other name
/// answers 127.0.0.1 at once. Shared with the lookup threads, which may outlive a test's wait.
struct fake_name_server {
  std::mutex mutex;
  std::condition_variable released_cv;
  bool released = false;
  int hung_now = 0;

  lookup_answer lookup(const std::string& host, const std::string& service) {
    if (host == "hung.example") {
      std::unique_lock lock(mutex);
      ++hung_now;
      released_cv.wait(lock, [&] { return released; });
      --hung_now;
      return {};
    }
    lookup_answer a;
    a.endpoints.emplace_back(net::ip::make_address("127.0.0.1"),
                             static_cast<std::uint16_t>(std::stoi(service)));
    return a;
  }
  void release() {
    std::lock_guard lock(mutex);
    released = true;
    released_cv.notify_all();
  }
  /// Waits (bounded) until the released lookups have returned, so no thread outlives the test's
  /// view of the server by much; the shared_ptr keeps it alive for any that do.
  bool drained(std::chrono::milliseconds within) {
    std::unique_lock lock(mutex);
    return released_cv.wait_for(lock, within, [&] { return hung_now == 0; }) || hung_now == 0;
  }
};

struct resolve_run {
  std::vector<lookup_result> results;
  std::vector<std::chrono::steady_clock::duration> took;
};

/// Resolves each host concurrently on one io_context; every lookup gets `budget`.
/// (Its arguments by value: a function that holds a coroutine owns what the coroutine reads.)
resolve_run resolve_all(std::shared_ptr<fake_name_server> ns,
                        std::vector<std::string> hosts,
                        std::chrono::milliseconds budget) {
  net::io_context io;
  auto life = std::make_shared<client_lifeline>();
  resolve_run run;
  run.results.resize(hosts.size());
  run.took.resize(hosts.size());
  const lookup_function lookup = std::bind_front(&fake_name_server::lookup, ns);
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    net::co_spawn(
        io,
        [&, i]() -> net::awaitable<void> {
          const auto start = std::chrono::steady_clock::now();
          run.results[i] = co_await resolve_on_pool(
              io.get_executor(), life, hosts[i], 443, start + budget, lookup);
          run.took[i] = std::chrono::steady_clock::now() - start;
        },
        rethrow_on_error);
  }
  io.run();
  {
    std::lock_guard lock(life->mutex);
    life->alive = false;
  }
  return run;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("a hung name server for one gateway does not delay lookups of another") {
    auto ns = std::make_shared<fake_name_server>();
    // More hung lookups than the old fixed pool had threads, all started before the good one.
    std::vector<std::string> hosts(12, "hung.example");
    hosts.emplace_back("ok.example");
    const auto run = resolve_all(ns, hosts, 2000ms);
    ns->release();
    const auto& ok = run.results.back();
    CHECK(ok.finished);
    CHECK_FALSE(ok.ec);
    REQUIRE(ok.endpoints.size() == 1);
    CHECK(ok.endpoints[0].port() == 443);
    // Answered long before the 2 s budget the hung ones ran into.
    CHECK(run.took.back() < 1000ms);
    for (std::size_t i = 0; i + 1 < hosts.size(); ++i) {
      CAPTURE(i);
      CHECK_FALSE(run.results[i].finished);
    }
    CHECK(ns->drained(5s));
  }

  TEST_CASE("hung lookups of one host are bounded and the next fails at once as a DNS error") {
    auto ns = std::make_shared<fake_name_server>();
    std::vector<std::string> hosts(max_lookups_per_host + 1, "hung.example");
    const auto run = resolve_all(ns, hosts, 1000ms);
    ns->release();
    std::size_t refused = 0;
    for (std::size_t i = 0; i < hosts.size(); ++i) {
      if (run.results[i].finished) {
        CHECK(run.results[i].ec);
        CHECK(run.took[i] < 500ms);
        ++refused;
      }
    }
    CHECK(refused == 1);
    CHECK(ns->drained(5s));
  }
}

}  // namespace resolver_test
