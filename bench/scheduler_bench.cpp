// The daemon's scheduler and probe path at scale: a `service` in this process probing N routes
// against a simulated gateway in a forked child process (so CPU and memory figures are the
// daemon's alone), scraped by curl every 15 s like Prometheus would, then N probes hanging at
// once until their timeout.
//
//   scheduler_bench          1,000 routes @ 5 s for 30 s; 10,000 routes @ 60 s for 130 s;
//                            10,000 hanging probes with a 10 s timeout
//   scheduler_bench --quick  the same at a fraction of the size and duration
//   scheduler_bench --only ROUTES INTERVAL SECONDS [MODEL]
//
// Prints probes/s, CPU seconds per 1,000 probes and as a share of one core, RSS (peak sampled
// every 0.5 s, and the high-water mark), scheduler lag p99 (from the
// visionwatch_scheduler_lag_seconds histogram, counting only the second half of the run, after
// start-up), and the last scrape's /metrics time and size as curl saw them.
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/config/config_values.hpp"
#include "daemon/runtime/service.hpp"
#include "daemon/sim/sim_gateway.hpp"
#include "daemon/sim/sim_model.hpp"

namespace {

using namespace std::chrono_literals;
using namespace visionwatch;
using steady = std::chrono::steady_clock;

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/// VmRSS or VmHWM from /proc/self/status, in KiB.
long proc_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field)) {
      return std::atol(line.c_str() + std::strlen(field) + 1);
    }
  }
  return 0;
}

/// Runs the simulated gateway in a child (see the models below). Returns the child's pid;
/// `port` receives its port.
pid_t fork_upstream(std::uint16_t& port) {
  std::array<int, 2> fds{};
  if (::pipe(fds.data()) != 0) {
    std::perror("pipe");
    std::exit(1);
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("fork");
    std::exit(1);
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the benchmark
    ::close(fds[0]);
    // "vision-healthy": sim_model reads every image and answers right, with image usage, so
    // the daemon sees a healthy fleet (the steady state the budgets are about). "canned": a
    // fixed completion that skips the pixel reading (the upstream is then never the
    // bottleneck), which ends every probe as wrong_answer after the full path. "hang": never
    // answers.
    const std::string canned =
        R"({"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,)"
        R"("model":"bench","choices":[{"index":0,"message":{"role":"assistant",)"
        R"("content":"42"},"finish_reason":"stop"}],)"
        R"("usage":{"prompt_tokens":300,"completion_tokens":1,"total_tokens":301}})";
    sim_model model;
    sim_gateway gw([&canned, &model](const received_request& req) {
      if (req.body.find(R"("model":"hang")") != std::string::npos) {
        return response_plan::with_action(response_plan::action::hang);
      }
      if (req.body.find(R"("model":"canned")") != std::string::npos) {
        return response_plan::json(canned);
      }
      return model.respond(req, sim_behaviour::healthy);
    });
    gw.start();
    const std::uint16_t p = gw.port();
    if (::write(fds[1], &p, sizeof p) != static_cast<ssize_t>(sizeof p)) {
      std::_Exit(1);
    }
    ::close(fds[1]);
    ::pause();  // until the parent's SIGTERM
    std::_Exit(0);
  }
  ::close(fds[1]);
  if (::read(fds[0], &port, sizeof port) != static_cast<ssize_t>(sizeof port)) {
    std::fprintf(stderr, "upstream did not start\n");
    std::exit(1);
  }
  ::close(fds[0]);
  return pid;
}

/// A fresh temporary directory for the state file (removed at exit).
const std::string& state_dir() {
  static const std::string dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vw-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      std::exit(1);
    }
    return tmpl;
  }();
  return dir;
}

std::string config_yaml(std::uint16_t port,
                        std::size_t routes,
                        const std::string& model,
                        const std::string& interval,
                        const std::string& timeout) {
  std::string y;
  y.reserve(routes * 100 + 1024);
  y += "global:\n  listen: \"127.0.0.1:0\"\n  max_in_flight: 20000\n  shutdown_grace: 1s\n";
  y += "  state_dir: \"" + state_dir() + "\"\n";
  y += "defaults:\n  interval: " + interval + "\n  timeout: " + timeout +
       "\n  baseline_interval: 1h\n  window: 20\n";
  y += "gateways:\n  - name: sim\n    base_url: \"http://127.0.0.1:" + std::to_string(port) +
       "/v1\"\n    api: openai-chat\n    max_concurrency: 10000\n    proxy_url: none\n";
  y += "routes:\n";
  for (std::size_t i = 0; i < routes; ++i) {
    y += "  - {name: r" + std::to_string(i) + ", gateway: sim, model: " + model + "}\n";
  }
  return y;
}

/// p99 of the scheduler lag observed between two snapshots of its histogram, as the upper
/// bound of the bucket holding it.
std::string lag_p99(const std::vector<std::pair<double, std::uint64_t>>& before,
                    const std::vector<std::pair<double, std::uint64_t>>& after) {
  const auto total = static_cast<double>(after.back().second - before.back().second);
  if (total == 0) {
    return "n/a";
  }
  for (std::size_t i = 0; i < after.size(); ++i) {
    if (static_cast<double>(after[i].second - before[i].second) >= 0.99 * total) {
      std::array<char, 32> buf{};
      std::snprintf(buf.data(), buf.size(), "<= %g s", after[i].first);
      return buf.data();
    }
  }
  return "> 1 s";
}

/// What curl saw of one GET /metrics.
struct scrape {
  double seconds = 0;
  std::size_t bytes = 0;
  int status = 0;
};

scrape curl_metrics(unsigned short port) {
  const std::string cmd =
      "curl -s -o /dev/null -w '%{time_total} %{size_download} %{http_code}' "
      "--max-time 30 http://127.0.0.1:" +
      std::to_string(port) + "/metrics";
  scrape out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    double seconds = 0;
    unsigned long long bytes = 0;
    int status = 0;
    if (std::fscanf(p, "%lf %llu %d", &seconds, &bytes, &status) == 3) {
      out = {seconds, static_cast<std::size_t>(bytes), status};
    }
    ::pclose(p);
  }
  return out;
}

struct figures {
  std::string name;
  std::size_t routes = 0;
  double seconds = 0;
  std::size_t probes = 0;
  std::map<std::string, std::size_t> outcomes;
  double cpu = 0;
  long rss_before = 0;
  long rss_after = 0;
  long hwm = 0;
  std::string lag;
  scrape last_scrape;
  double steady_cpu = 0;  ///< second half of the run, after start-up
  double steady_seconds = 0;
  std::size_t steady_probes = 0;
  std::size_t scrapes = 0;
  std::string note;
};

/// Runs `routes` routes of `model` for `duration`, then stops the service.
figures run_scenario(const std::string& name,
                     std::uint16_t port,
                     std::size_t routes,
                     const std::string& model,
                     const std::string& interval,
                     const std::string& timeout,
                     std::chrono::milliseconds duration) {
  figures f;
  f.name = name;
  f.routes = routes;
  auto loaded = parse_config(config_yaml(port, routes, model, interval, timeout), "<bench>");
  if (!loaded.errors.empty()) {
    std::fprintf(stderr, "bench config: %s\n", loaded.errors.front().to_string().c_str());
    std::exit(1);
  }
  f.rss_before = proc_kib("VmRSS:");
  net::io_context io(1);
  std::size_t timeouts = 0;
  double min_latency = 1e9;
  double max_latency = 0;
  service_options opts;
  opts.handle_signals = false;
  std::size_t peak_in_flight = 0;
  bool stopping = false;
  long rss_at_peak = 0;
  opts.on_result = [&](const probe_result& r) {
    if (r.result == outcome::timeout && !stopping) {  // not the ones cancelled at the end
      ++timeouts;
      min_latency = std::min(min_latency, r.latency_seconds);
      max_latency = std::max(max_latency, r.latency_seconds);
    }
    if (r.control) {
      return;
    }
    ++f.probes;
    ++f.outcomes[std::string(to_string(r.result))];
  };
  service svc(io, std::move(*loaded.value), std::move(opts));
  const auto cpu0 = cpu_seconds();
  const auto t0 = steady::now();
  svc.start();
  const auto admin_port = svc.admin_port();
  long peak_rss = 0;
  net::steady_timer sampler(io);
  std::function<void()> sample = [&] {
    const long rss = proc_kib("VmRSS:");
    peak_rss = std::max(peak_rss, rss);
    const auto now_in_flight = static_cast<std::size_t>(svc.metrics_registry().in_flight());
    if (now_in_flight > peak_in_flight) {
      peak_in_flight = now_in_flight;
      rss_at_peak = rss;
    }
    sampler.expires_after(500ms);
    sampler.async_wait([&](boost::system::error_code ec) {
      if (!ec) {
        sample();
      }
    });
  };
  sample();
  // Prometheus' part: a scrape every 15 s from another process; the daemon serves it on its
  // io thread, so its cost is in the CPU figure.
  std::atomic<bool> done{false};
  std::thread scraper([&] {
    auto next = steady::now() + 15s;
    while (!done) {
      std::this_thread::sleep_for(100ms);
      if (steady::now() >= next && !done) {
        const scrape s = curl_metrics(admin_port);
        f.last_scrape = s;
        ++f.scrapes;
        next += 15s;
      }
    }
  });
  // Lag after start-up: the histogram's growth over the second half of the run.
  std::vector<std::pair<double, std::uint64_t>> lag_half;
  double cpu_half = 0;
  std::size_t probes_half = 0;
  steady::time_point t_half;
  net::steady_timer half(io);
  half.expires_after(duration / 2);
  half.async_wait([&](boost::system::error_code) {
    lag_half = svc.metrics_registry().scheduler_lag_buckets();
    cpu_half = cpu_seconds();
    probes_half = f.probes;
    t_half = steady::now();
  });
  net::steady_timer stop(io);
  stop.expires_after(duration);
  stop.async_wait([&](boost::system::error_code) {
    f.seconds = std::chrono::duration<double>(steady::now() - t0).count();
    f.cpu = cpu_seconds() - cpu0;
    f.rss_after = std::max(peak_rss, proc_kib("VmRSS:"));
    f.lag = lag_p99(lag_half, svc.metrics_registry().scheduler_lag_buckets());
    f.steady_cpu = cpu_seconds() - cpu_half;
    f.steady_seconds = std::chrono::duration<double>(steady::now() - t_half).count();
    f.steady_probes = f.probes - probes_half;
    sampler.cancel();
    stopping = true;
    done = true;
    svc.request_stop();
  });
  io.run();
  done = true;
  scraper.join();
  f.hwm = proc_kib("VmHWM:");
  if (model == "hang") {
    std::array<char, 200> buf{};
    std::snprintf(buf.data(),
                  buf.size(),
                  "%zu requests (image and control) timed out before the end, latency "
                  "%.2f..%.2f s; peak %zu hanging at once, %.1f KiB RSS each",
                  timeouts,
                  timeouts ? min_latency : 0.0,
                  max_latency,
                  peak_in_flight,
                  static_cast<double>(rss_at_peak - f.rss_before) /
                      static_cast<double>(std::max<std::size_t>(peak_in_flight, 1)));
    f.note = buf.data();
  }
  return f;
}

void print(const figures& f) {
  const double per_1000 = f.probes ? f.cpu / static_cast<double>(f.probes) * 1000.0 : 0.0;
  std::printf(
      "%-34s routes %6zu  %6.1f s  probes %6zu  %6.1f probes/s  CPU %6.2f s = %4.1f%% of a core "
      "(%4.2f s/1000 probes)  RSS %5.1f -> %5.1f MiB (HWM %5.1f)  lag p99 %-9s  /metrics %7.1f ms "
      "%9zu B (HTTP %d, %zu scrapes)\n",
      f.name.c_str(),
      f.routes,
      f.seconds,
      f.probes,
      static_cast<double>(f.probes) / f.seconds,
      f.cpu,
      100.0 * f.cpu / f.seconds,
      per_1000,
      static_cast<double>(f.rss_before) / 1024.0,
      static_cast<double>(f.rss_after) / 1024.0,
      static_cast<double>(f.hwm) / 1024.0,
      f.lag.c_str(),
      f.last_scrape.seconds * 1000.0,
      f.last_scrape.bytes,
      f.last_scrape.status,
      f.scrapes);
  std::string outcomes;
  for (const auto& [name, n] : f.outcomes) {
    outcomes += " " + name + "=" + std::to_string(n);
  }
  std::printf("%-34s outcomes:%s\n", "", outcomes.c_str());
  if (f.steady_seconds > 0) {
    std::printf(
        "%-34s second half (after start-up): %zu probes, CPU %.2f s = %.1f%% of a core "
        "(%.2f s/1000 probes)\n",
        "",
        f.steady_probes,
        f.steady_cpu,
        100.0 * f.steady_cpu / f.steady_seconds,
        f.steady_probes ? f.steady_cpu / static_cast<double>(f.steady_probes) * 1000.0 : 0.0);
  }
  if (!f.note.empty()) {
    std::printf("%-34s %s\n", "", f.note.c_str());
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  // scheduler_bench [--quick | --only ROUTES INTERVAL SECONDS [MODEL]]
  //   MODEL: vision-healthy (default), canned or hang
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const bool only = argc >= 5 && std::strcmp(argv[1], "--only") == 0;
  spdlog::set_level(spdlog::level::err);  // per-probe logs would measure the terminal
  rlimit nofile{};
  ::getrlimit(RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = nofile.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &nofile);
  std::printf("RLIMIT_NOFILE %llu; %s run\n",
              static_cast<unsigned long long>(nofile.rlim_cur),
              quick ? "quick" : (only ? "single" : "full"));
  std::uint16_t port = 0;
  const pid_t upstream = fork_upstream(port);

  if (only) {
    const auto routes = static_cast<std::size_t>(std::stoul(argv[2]));
    const std::string interval = argv[3];
    const auto seconds = std::chrono::seconds(std::stol(argv[4]));
    const std::string model = argc > 5 ? argv[5] : "vision-healthy";
    const auto interval_ms = parse_duration(interval);
    const std::string timeout =
        interval_ms && *interval_ms < std::chrono::seconds(10) ? interval : std::string("10s");
    print(run_scenario(std::to_string(routes) + " routes @ " + interval + " (" + model + ")",
                       port,
                       routes,
                       model,
                       interval,
                       timeout,
                       seconds));
  } else if (quick) {
    print(run_scenario("1,000 routes @ 5 s", port, 1000, "vision-healthy", "5s", "5s", 12s));
    print(run_scenario("2,000 routes @ 10 s", port, 2000, "vision-healthy", "10s", "10s", 12s));
    print(run_scenario("2,000 hanging, 5 s timeout", port, 2000, "hang", "5s", "5s", 12s));
  } else {
    print(run_scenario("1,000 routes @ 5 s", port, 1000, "vision-healthy", "5s", "5s", 30s));
    print(run_scenario("10,000 routes @ 60 s", port, 10000, "vision-healthy", "60s", "10s", 130s));
    // Interval = timeout = 10 s: every route starts a request within 10 s and each hangs for
    // 10 s, so all 10,000 hang at once before the first time out.
    print(run_scenario("10,000 hanging, 10 s timeout", port, 10000, "hang", "10s", "10s", 22s));
  }
  ::kill(upstream, SIGTERM);
  ::waitpid(upstream, nullptr, 0);
  std::filesystem::remove_all(state_dir());
  return 0;
}
