// Prints the http client's request rate against the sim gateway (fresh connections vs keep-alive,
// one and several concurrent requests) and the process RSS around a 200 MiB response that the
// body cap refuses. Figures only: no assertions, no pass/fail.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "daemon/sim/sim_gateway.hpp"
#include "probes/http_client.hpp"

namespace {

using namespace visionwatch;
using clock_type = std::chrono::steady_clock;

/// "VmHWM" / "VmRSS" from /proc/self/status, in KiB (0 when unavailable).
long proc_status_kib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::stol(line.substr(field.size() + 1));
    }
  }
  return 0;
}

struct run_stats {
  std::size_t ok = 0;
  std::size_t failed = 0;
  double seconds = 0;
  double ttfb_sum = 0;
};

/// The benchmark's client options: the sim gateway is on loopback, no proxy from the
/// environment.
client_options client_options_for(bool keep_alive) {
  client_options o;
  o.use_env_proxy = false;
  o.keep_alive = keep_alive;
  return o;
}

/// One GET of `url` through `client`: "status N", or the transport error and its reason.
net::awaitable<std::string> get_outcome(http_client* client, std::string url) {
  http_request r;
  r.method = "GET";
  r.url = std::move(url);
  const auto res = co_await client->send(r);
  co_return res.ok() ? "status " + std::to_string(res.status)
                     : std::string(to_string(*res.transport_error)) + ": " + res.reason;
}

/// `workers` coroutines, each with its own client, send requests back to back for `duration`
/// or until `max_requests` were sent.
run_stats run(std::string url,  // by value: the check counts the coroutine lambdas inside
              bool keep_alive,
              int workers,
              std::chrono::seconds duration,
              std::size_t max_requests) {
  net::io_context ioc(1);
  run_stats stats;
  const auto o = client_options_for(keep_alive);
  std::vector<std::unique_ptr<http_client>> clients;
  // Set just before run(): client construction is not part of the measurement.
  clock_type::time_point end;
  for (int i = 0; i < workers; ++i) {
    clients.push_back(std::make_unique<http_client>(ioc.get_executor(), o));
    net::co_spawn(
        ioc,
        [&stats, &url, &end, max_requests, c = clients.back().get()]() -> net::awaitable<void> {
          while (clock_type::now() < end && stats.ok + stats.failed < max_requests) {
            http_request r;
            r.method = "POST";
            r.url = url;
            r.body = R"({"model":"bench","messages":[]})";
            const auto res = co_await c->send(r);
            if (res.ok() && res.status == 200) {
              ++stats.ok;
              stats.ttfb_sum += res.phases.ttfb;
            } else {
              ++stats.failed;
            }
          }
        },
        [](std::exception_ptr e) {
          if (e) {
            try {
              std::rethrow_exception(e);
            } catch (const std::exception& ex) {
              std::fprintf(stderr, "worker failed: %s\n", ex.what());
            }
          }
        });
  }
  const auto start = clock_type::now();
  end = start + duration;
  ioc.run();
  stats.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  return stats;
}

}  // namespace

int main() {  // NOLINT(bugprone-exception-escape): a benchmark; an error may end it
  sim_gateway gw([](const received_request&) {
    return response_plan::json(R"({"choices":[{"message":{"content":"4821"}}],"usage":{}})");
  });
  gw.start();
  const std::string url = gw.base_url() + "/chat/completions";
  std::printf("http client against the sim gateway (%s), 3 s or 8000 fresh connections per row\n",
              url.c_str());
  std::printf(
      "%-12s %8s %12s %10s %14s\n", "mode", "workers", "requests/s", "failures", "mean ttfb ms");
  for (bool keep_alive : {false, true}) {
    for (int workers : {1, 8}) {
      // Fresh connections leave one TIME_WAIT port each: cap them below the ephemeral range.
      const auto s = run(url,
                         keep_alive,
                         workers,
                         std::chrono::seconds(3),
                         keep_alive ? std::size_t{1'000'000} : std::size_t{8'000});
      std::printf("%-12s %8d %12.0f %10zu %14.3f\n",
                  keep_alive ? "keep-alive" : "fresh",
                  workers,
                  static_cast<double>(s.ok) / s.seconds,
                  s.failed,
                  s.ok ? 1000.0 * s.ttfb_sum / static_cast<double>(s.ok) : 0.0);
    }
  }

  sim_gateway huge(
      [](const received_request&) { return response_plan::huge_body(200ull * 1024 * 1024); });
  huge.start();
  const long rss_before = proc_status_kib("VmRSS");
  const long hwm_before = proc_status_kib("VmHWM");
  net::io_context ioc;
  const auto o = client_options_for(false);
  http_client client(ioc.get_executor(), o);
  std::string outcome_text;
  net::co_spawn(
      ioc, get_outcome(&client, huge.base_url()), [&](std::exception_ptr e, std::string text) {
        outcome_text = e ? std::string("exception") : std::move(text);
      });
  ioc.run();
  std::printf("\n200 MiB response body (cap %zu bytes): %s\n", o.body_limit, outcome_text.c_str());
  std::printf("VmRSS  before %7ld KiB  after %7ld KiB\n", rss_before, proc_status_kib("VmRSS"));
  std::printf("VmHWM  before %7ld KiB  after %7ld KiB\n", hwm_before, proc_status_kib("VmHWM"));
  return 0;
}
