// The daemon's scheduler and probe path at scale, measured against the targets for one instance
// (README, "Benchmarks"). Each scenario runs in a fresh child process of its own, so its CPU and
// RSS are those of a daemon that ran only that scenario: a `service` probing N routes against a
// simulated gateway (in another child, so its CPU and memory are not counted), scraped by curl
// every 15 s like Prometheus (which asks for gzip), then N probes hanging at once until their
// timeout, and the real `visionwatch run` command timed from start to READY=1.
//
//   scheduler_bench          start to READY with 10,000 routes; 1,000 routes @ 5 s for 30 s;
//                            10,000 routes @ 60 s for 130 s; 10,000 hanging probes, 10 s timeout
//   scheduler_bench --quick  start to READY with 10,000 routes; 2,000 routes @ 12 s for 40 s (the
//                            probe rate of 10,000 @ 60 s); 2,000 hanging probes, 5 s timeout
//   scheduler_bench --only ROUTES INTERVAL SECONDS [vision-healthy|canned|hang]
//                            one scenario, in this process (for perf and heaptrack)
//   --trace (after the above): RSS, heap and probes in flight every 0.5 s
//
// Prints per scenario: probes/s, CPU seconds per 1,000 probes and as a share of one core (whole
// run, and over the second half, after start-up), RSS (peak sampled every 0.5 s, at the end of
// the run, after the service stopped, and the high-water mark), malloc's heap in use and free,
// scheduler lag p99 (the visionwatch_scheduler_lag_seconds histogram over the second half), and
// /metrics as curl sees it (median of three scrapes after the run, plain and gzip). Then every
// target next to its figure.
#include <malloc.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/app/commands.hpp"
#include "daemon/config/config.hpp"
#include "daemon/config/config_values.hpp"
#include "daemon/runtime/route_state.hpp"
#include "daemon/runtime/service.hpp"
#include "daemon/sim/sim_gateway.hpp"
#include "daemon/sim/sim_model.hpp"
#include "probes/logging.hpp"

namespace {

using namespace std::chrono_literals;
using namespace visionwatch;
using steady = std::chrono::steady_clock;
using json = nlohmann::json;

bool trace = false;  ///< --trace: the RSS timeline of each scenario

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double ms_since(steady::time_point t0) {
  return std::chrono::duration<double, std::milli>(steady::now() - t0).count();
}

/// VmRSS or VmHWM from /proc/<pid>/status, in KiB.
long proc_kib(const char* field, const std::string& pid = "self") {
  std::ifstream in("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field)) {
      return std::atol(line.c_str() + std::strlen(field) + 1);
    }
  }
  return 0;
}

/// Bytes malloc has handed out.
double heap_in_use_bytes() {
  const auto m = ::mallinfo2();
  return static_cast<double>(m.uordblks + m.hblkhd);
}

/// Heap bytes per route of route states holding `results` copies of `r` each: what the recent
/// results of a route cost once `results` probes are in (the ring holds the last 20).
double route_state_bytes(const probe_result& r, std::size_t results, std::size_t window) {
  constexpr std::size_t n = 1000;
  std::vector<route_state> states;
  states.reserve(n);
  const double before = heap_in_use_bytes();
  for (std::size_t i = 0; i < n; ++i) {
    states.emplace_back(window);
    for (std::size_t k = 0; k < results; ++k) {
      states.back().record(r);
    }
  }
  return (heap_in_use_bytes() - before) / static_cast<double>(n);
}

/// malloc's view: bytes handed out, and bytes free but still held (arenas and the main heap).
std::pair<double, double> heap_mib() {
  const auto m = ::mallinfo2();
  return {static_cast<double>(m.uordblks + m.hblkhd) / 1048576.0,
          static_cast<double>(m.fordblks) / 1048576.0};
}

double mib(long kib) { return static_cast<double>(kib) / 1024.0; }
double mb(long kib) { return static_cast<double>(kib) * 1024.0 / 1e6; }

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
                        const std::string& timeout,
                        const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::string y;
  y.reserve(routes * 100 + 1024);
  y += "global:\n  listen: \"127.0.0.1:0\"\n  max_in_flight: 20000\n  shutdown_grace: 1s\n";
  y += "  state_dir: \"" + dir + "\"\n";
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
  if (before.size() != after.size() || after.empty()) {
    return "n/a";
  }
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

/// What curl saw of one GET /metrics. With `gzip` it asks for it as Prometheus does and, like
/// a scraper that inflates while it reads, counts the compressed bytes that came over the wire.
struct scrape {
  double ms = 0;
  std::size_t bytes = 0;
  int status = 0;
};

scrape curl_metrics(unsigned short port, bool gzip) {
  const std::string cmd =
      std::string("curl -s -o /dev/null -w '%{time_total} %{size_download} %{http_code}' ") +
      (gzip ? "-H 'Accept-Encoding: gzip' " : "") + "--max-time 30 http://127.0.0.1:" +
      std::to_string(port) + "/metrics";
  scrape out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    double seconds = 0;
    unsigned long long bytes = 0;
    int status = 0;
    if (std::fscanf(p, "%lf %llu %d", &seconds, &bytes, &status) == 3) {
      out = {seconds * 1000.0, static_cast<std::size_t>(bytes), status};
    }
    ::pclose(p);
  }
  return out;
}

/// The median (by time) of `n` scrapes.
scrape median_scrape(unsigned short port, bool gzip, int n) {
  std::vector<scrape> all;
  for (int i = 0; i < n; ++i) {
    all.push_back(curl_metrics(port, gzip));
  }
  std::sort(all.begin(), all.end(), [](const scrape& a, const scrape& b) { return a.ms < b.ms; });
  return all[all.size() / 2];
}

struct figures {
  std::string name;
  std::size_t routes = 0;
  double seconds = 0;
  std::size_t probes = 0;
  std::map<std::string, std::size_t> outcomes;
  double cpu = 0;
  double steady_cpu = 0;  ///< second half of the run, after start-up
  double steady_seconds = 0;
  std::size_t steady_probes = 0;
  long rss_start = 0;  ///< before the configuration was parsed
  long rss_peak = 0;
  long rss_end = 0;      ///< at the end of the run, probes still running
  long rss_stopped = 0;  ///< after the service stopped and was destroyed
  long hwm = 0;
  double heap_used_end = 0;  ///< MiB, at the end of the run
  double heap_free_end = 0;
  double parse_ms = 0;  ///< parse_config of the scenario's configuration
  double start_ms = 0;  ///< service::start(), which sends READY=1 last
  std::string lag;
  scrape plain;
  scrape gzip;
  std::size_t scrapes = 0;
  std::size_t timeouts = 0;  ///< requests that timed out before the end (hang)
  double min_latency = 0;
  double max_latency = 0;
  std::size_t peak_in_flight = 0;
  long rss_at_peak = 0;
  /// KiB the recent-results rings add once full (20 probes per route) over what they held at
  /// the end of this run: measured on route states holding copies of a real result.
  long rings_full_kib = 0;
  double results_per_route = 0;
};

void to_json(json& j, const scrape& s) { j = json{{"ms", s.ms}, {"bytes", s.bytes}, {"status", s.status}}; }
void from_json(const json& j, scrape& s) {
  s.ms = j.at("ms");
  s.bytes = j.at("bytes");
  s.status = j.at("status");
}
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(figures,
                                   name,
                                   routes,
                                   seconds,
                                   probes,
                                   outcomes,
                                   cpu,
                                   steady_cpu,
                                   steady_seconds,
                                   steady_probes,
                                   rss_start,
                                   rss_peak,
                                   rss_end,
                                   rss_stopped,
                                   hwm,
                                   heap_used_end,
                                   heap_free_end,
                                   parse_ms,
                                   start_ms,
                                   lag,
                                   plain,
                                   gzip,
                                   scrapes,
                                   timeouts,
                                   min_latency,
                                   max_latency,
                                   peak_in_flight,
                                   rss_at_peak,
                                   rings_full_kib,
                                   results_per_route)

struct scenario {
  std::string name;
  std::size_t routes = 0;
  std::string model;
  std::string interval;
  std::string timeout;
  std::chrono::milliseconds duration{};
};

/// Runs the scenario in this process: `routes` routes of `model` for `duration`, then three
/// plain and three gzip scrapes, then stops the service.
figures run_scenario(const scenario& s, std::uint16_t port) {
  figures f;
  f.name = s.name;
  f.routes = s.routes;
  f.rss_start = proc_kib("VmRSS:");
  const auto parse0 = steady::now();
  auto loaded =
      parse_config(
      config_yaml(port, s.routes, s.model, s.interval, s.timeout, state_dir() + "/" + s.name),
      "<bench>");
  f.parse_ms = ms_since(parse0);
  if (!loaded.errors.empty()) {
    std::fprintf(stderr, "bench config: %s\n", loaded.errors.front().to_string().c_str());
    std::exit(1);
  }
  net::io_context io(1);
  double min_latency = 1e9;
  service_options opts;
  opts.handle_signals = false;
  bool stopping = false;
  std::optional<probe_result> last_image_probe;
  opts.on_result = [&](const probe_result& r) {
    if (!r.control) {
      last_image_probe = r;
    }
    if (r.result == outcome::timeout && !stopping) {  // not the ones cancelled at the end
      ++f.timeouts;
      min_latency = std::min(min_latency, r.latency_seconds);
      f.max_latency = std::max(f.max_latency, r.latency_seconds);
    }
    if (r.control) {
      return;
    }
    ++f.probes;
    ++f.outcomes[std::string(to_string(r.result))];
  };
  auto svc = std::make_unique<service>(io, std::move(*loaded.value), std::move(opts));
  const auto cpu0 = cpu_seconds();
  const auto t0 = steady::now();
  svc->start();
  f.start_ms = ms_since(t0);
  const auto admin_port = svc->admin_port();
  if (trace) {
    std::printf("  admin API at %s\n", svc->admin_url().c_str());
  }
  net::steady_timer sampler(io);
  std::function<void()> sample = [&] {
    const long rss = proc_kib("VmRSS:");
    f.rss_peak = std::max(f.rss_peak, rss);
    const auto now_in_flight = static_cast<std::size_t>(svc->metrics_registry().in_flight());
    if (now_in_flight > f.peak_in_flight) {
      f.peak_in_flight = now_in_flight;
      f.rss_at_peak = rss;
    }
    if (trace) {
      const auto [used, free] = heap_mib();
      std::printf("  t=%6.1f s  RSS %6.1f MiB  heap in use %6.1f MiB, free %6.1f MiB  in flight %zu\n",
                  ms_since(t0) / 1000.0,
                  mib(rss),
                  used,
                  free,
                  now_in_flight);
      std::fflush(stdout);
    }
    sampler.expires_after(500ms);
    sampler.async_wait([&](boost::system::error_code ec) {
      if (!ec) {
        sample();
      }
    });
  };
  sample();
  // Prometheus' part: a gzip scrape every 15 s from another process; the daemon serves it on
  // its io thread, so its cost is in the CPU figure. After the run, the figures for /metrics:
  // three scrapes each way, probes still running.
  std::atomic<bool> measured{false};
  std::thread scraper([&] {
    auto next = steady::now() + 15s;
    while (!measured) {
      std::this_thread::sleep_for(100ms);
      if (steady::now() >= next && !measured) {
        curl_metrics(admin_port, true);
        ++f.scrapes;
        next += 15s;
      }
    }
    f.plain = median_scrape(admin_port, false, 3);
    f.gzip = median_scrape(admin_port, true, 3);
    net::post(io, [&] {
      sampler.cancel();
      stopping = true;
      svc->request_stop();
    });
  });
  // After start-up: the lag histogram's growth and the CPU over the second half of the run.
  std::vector<std::pair<double, std::uint64_t>> lag_half;
  double cpu_half = 0;
  std::size_t probes_half = 0;
  steady::time_point t_half;
  net::steady_timer half(io);
  half.expires_after(s.duration / 2);
  half.async_wait([&](boost::system::error_code) {
    lag_half = svc->metrics_registry().scheduler_lag_buckets();
    cpu_half = cpu_seconds();
    probes_half = f.probes;
    t_half = steady::now();
  });
  net::steady_timer stop(io);
  stop.expires_after(s.duration);
  stop.async_wait([&](boost::system::error_code) {
    f.seconds = ms_since(t0) / 1000.0;
    f.cpu = cpu_seconds() - cpu0;
    f.rss_end = proc_kib("VmRSS:");
    f.rss_peak = std::max(f.rss_peak, f.rss_end);
    std::tie(f.heap_used_end, f.heap_free_end) = heap_mib();
    f.lag = lag_p99(lag_half, svc->metrics_registry().scheduler_lag_buckets());
    f.steady_cpu = cpu_seconds() - cpu_half;
    f.steady_seconds = std::chrono::duration<double>(steady::now() - t_half).count();
    f.steady_probes = f.probes - probes_half;
    measured = true;
  });
  io.run();
  scraper.join();
  svc.reset();
  f.rss_stopped = proc_kib("VmRSS:");
  f.hwm = proc_kib("VmHWM:");
  f.min_latency = f.timeouts ? min_latency : 0.0;
  if (last_image_probe && s.routes > 0) {
    constexpr std::size_t ring = 20;  // route_state's recent results
    f.results_per_route = static_cast<double>(f.probes) / static_cast<double>(s.routes);
    const auto now = static_cast<std::size_t>(std::min<double>(std::round(f.results_per_route), ring));
    const double extra = route_state_bytes(*last_image_probe, ring, 20) -
                         route_state_bytes(*last_image_probe, now, 20);
    f.rings_full_kib = std::lround(extra * static_cast<double>(s.routes) / 1024.0);
  }
  return f;
}

/// Runs `body` in a child process and returns what it wrote as JSON (the child's memory
/// and CPU are then the scenario's alone).
json in_child(const std::function<json()>& body) {
  std::array<int, 2> fds{};
  if (::pipe(fds.data()) != 0) {
    std::perror("pipe");
    std::exit(1);
  }
  std::fflush(stdout);
  const pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("fork");
    std::exit(1);
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    ::close(fds[0]);
    const std::string out = body().dump();
    std::size_t done = 0;
    while (done < out.size()) {
      const auto n = ::write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) {
        std::_Exit(1);
      }
      done += static_cast<std::size_t>(n);
    }
    std::fflush(stdout);
    std::_Exit(0);
  }
  ::close(fds[1]);
  std::string text;
  std::array<char, 4096> buf{};
  for (;;) {
    const auto n = ::read(fds[0], buf.data(), buf.size());
    if (n <= 0) {
      break;
    }
    text.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || text.empty()) {
    std::fprintf(stderr, "scenario child failed (status %d)\n", status);
    std::exit(1);
  }
  return json::parse(text);
}

figures run_in_child(const scenario& s, std::uint16_t port) {
  return in_child([&] { return json(run_scenario(s, port)); }).get<figures>();
}

/// `visionwatch run` with `routes` routes, timed from the fork of its process to the READY=1 it
/// sends to NOTIFY_SOCKET (what systemd waits for with Type=notify).
struct readiness {
  double ms = -1;  ///< -1: no READY=1 within 30 s
  long rss = 0;    ///< KiB, at READY=1
};

readiness time_to_ready(std::uint16_t port, std::size_t routes) {
  const auto dir = std::filesystem::path(state_dir());
  const auto config_path = (dir / "ready.yaml").string();
  std::ofstream(config_path) << config_yaml(port, routes, "vision-healthy", "60s", "10s", (dir / "ready").string());
  const auto socket_path = (dir / "notify.sock").string();
  std::filesystem::remove(socket_path);
  const int sock = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
  if (sock < 0 || ::bind(sock, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("notify socket");
    std::exit(1);
  }
  std::fflush(stdout);
  const auto t0 = steady::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("fork");
    std::exit(1);
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    ::setenv("NOTIFY_SOCKET", socket_path.c_str(), 1);
    CLI::App app;
    cli_context ctx;
    add_run_command(app, ctx);
    std::vector<std::string> args = {"visionwatch", "run", "-c", config_path};
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    app.parse(static_cast<int>(argv.size()), argv.data());
    setup_logging("error", "text");
    std::_Exit(ctx.run());
  }
  readiness r;
  std::array<char, 512> buf{};
  while (ms_since(t0) < 30000) {
    pollfd p{sock, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) {
      continue;
    }
    const auto n = ::recv(sock, buf.data(), buf.size() - 1, 0);
    if (n > 0 && std::string_view(buf.data(), static_cast<std::size_t>(n)).starts_with("READY=1")) {
      r.ms = ms_since(t0);
      r.rss = proc_kib("VmRSS:", std::to_string(pid));
      break;
    }
  }
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  ::close(sock);
  return r;
}

void print(const figures& f) {
  const double per_1000 = f.probes ? f.cpu / static_cast<double>(f.probes) * 1000.0 : 0.0;
  std::printf("%s: %zu routes, %.1f s, %zu probes (%.1f/s)\n",
              f.name.c_str(),
              f.routes,
              f.seconds,
              f.probes,
              static_cast<double>(f.probes) / f.seconds);
  std::string outcomes;
  for (const auto& [name, n] : f.outcomes) {
    outcomes += " " + name + "=" + std::to_string(n);
  }
  std::printf("  outcomes:%s\n", outcomes.c_str());
  std::printf("  CPU %.2f s = %.1f%% of a core (%.2f s/1000 probes)", f.cpu, 100.0 * f.cpu / f.seconds, per_1000);
  if (f.steady_seconds > 0) {
    std::printf("; second half (after start-up): %zu probes, %.2f s = %.1f%% of a core (%.2f s/1000 probes)",
                f.steady_probes,
                f.steady_cpu,
                100.0 * f.steady_cpu / f.steady_seconds,
                f.steady_probes ? f.steady_cpu / static_cast<double>(f.steady_probes) * 1000.0 : 0.0);
  }
  std::printf("\n  RSS %.1f MiB before the config, peak %.1f MiB (%.1f MB), %.1f at the end, %.1f stopped; HWM %.1f MiB; heap at the end %.1f MiB in use, %.1f MiB free\n",
              mib(f.rss_start),
              mib(f.rss_peak),
              mb(f.rss_peak),
              mib(f.rss_end),
              mib(f.rss_stopped),
              mib(f.hwm),
              f.heap_used_end,
              f.heap_free_end);
  std::printf("  start-up: config parsed in %.0f ms, service::start() %.0f ms; lag p99 %s\n",
              f.parse_ms,
              f.start_ms,
              f.lag.c_str());
  std::printf("  /metrics (median of 3): plain %.1f ms, %zu B (HTTP %d); gzip %.1f ms, %zu B (HTTP %d); %zu scrapes during the run\n",
              f.plain.ms,
              f.plain.bytes,
              f.plain.status,
              f.gzip.ms,
              f.gzip.bytes,
              f.gzip.status,
              f.scrapes);
  if (f.rings_full_kib > 0) {
    std::printf("  recent results: %.1f per route at the end; all 20 (after 20 probes per route) add %.1f MiB: "
                "RSS peak at that steady state %.1f MiB (%.1f MB)\n",
                f.results_per_route,
                mib(f.rings_full_kib),
                mib(f.rss_peak + f.rings_full_kib),
                mb(f.rss_peak + f.rings_full_kib));
  }
  if (f.timeouts > 0 || f.peak_in_flight > 0) {
    std::printf("  %zu requests (image and control) timed out before the end, latency %.2f..%.2f s; peak %zu in flight at once, %.1f KiB RSS each above the start\n",
                f.timeouts,
                f.min_latency,
                f.max_latency,
                f.peak_in_flight,
                static_cast<double>(f.rss_at_peak - f.rss_start) /
                    static_cast<double>(std::max<std::size_t>(f.peak_in_flight, 1)));
  }
  std::fflush(stdout);
}

struct target_row {
  std::string what;
  std::string limit;
  std::string measured;
  bool met = false;
};

std::string figure(const char* format, double v) {
  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), format, v);
  return buf.data();
}

void print_targets(const std::vector<target_row>& rows, bool quick) {
  std::printf("\nTargets%s (load average before and after the run is printed below)\n",
              quick ? " (quick run: fewer routes than the targets are for, so indicative only)" : "");
  for (const auto& r : rows) {
    std::printf("  %-58s %-9s measured %-34s %s\n",
                r.what.c_str(),
                r.limit.c_str(),
                r.measured.c_str(),
                r.met ? "met" : "NOT MET");
  }
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a;
  std::string b;
  std::string c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (const auto it = std::find(args.begin(), args.end(), "--trace"); it != args.end()) {
    trace = true;
    args.erase(it);
  }
  const bool quick = !args.empty() && args[0] == "--quick";
  const bool only = args.size() >= 4 && args[0] == "--only";
  spdlog::set_level(spdlog::level::err);  // per-probe logs would measure the terminal
  rlimit nofile{};
  ::getrlimit(RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = nofile.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &nofile);
  std::printf("RLIMIT_NOFILE %llu; %s run; load average %s\n",
              static_cast<unsigned long long>(nofile.rlim_cur),
              quick ? "quick" : (only ? "single" : "full"),
              load_average().c_str());
  std::uint16_t port = 0;
  const pid_t upstream = fork_upstream(port);

  if (only) {
    const auto routes = static_cast<std::size_t>(std::stoul(args[1]));
    const std::string interval = args[2];
    const auto seconds = std::chrono::seconds(std::stol(args[3]));
    const std::string model = args.size() > 4 ? args[4] : "vision-healthy";
    const auto interval_ms = parse_duration(interval);
    const std::string timeout =
        interval_ms && *interval_ms < std::chrono::seconds(10) ? interval : std::string("10s");
    // In this process (a fresh one, so its figures are the scenario's alone): perf and
    // heaptrack see it.
    print(run_scenario(
        {std::to_string(routes) + " routes @ " + interval + " (" + model + ")",
         routes,
         model,
         interval,
         timeout,
         seconds},
        port));
  } else {
    const std::size_t fleet = 10000;
    std::vector<double> ready_ms;
    long ready_rss = 0;
    for (int i = 0; i < 3; ++i) {  // the first without a state file, then with one
      const auto r = time_to_ready(port, fleet);
      ready_ms.push_back(r.ms < 0 ? 1e9 : r.ms);
      ready_rss = std::max(ready_rss, r.rss);
    }
    std::printf("start to READY=1, `visionwatch run` with %zu routes: %.0f ms, %.0f ms, %.0f ms (RSS at READY %.1f MiB)\n",
                fleet,
                ready_ms[0],
                ready_ms[1],
                ready_ms[2],
                mib(ready_rss));
    std::sort(ready_ms.begin(), ready_ms.end());
    const double ready = ready_ms[1];

    std::vector<scenario> scenarios;
    if (quick) {
      scenarios.push_back({"1,000 routes @ 5 s", 1000, "vision-healthy", "5s", "5s", 12s});
      scenarios.push_back({"2,000 routes @ 12 s", 2000, "vision-healthy", "12s", "10s", 40s});
      scenarios.push_back({"2,000 hanging, 5 s timeout", 2000, "hang", "5s", "5s", 12s});
    } else {
      scenarios.push_back({"1,000 routes @ 5 s", 1000, "vision-healthy", "5s", "5s", 30s});
      scenarios.push_back({"10,000 routes @ 60 s", 10000, "vision-healthy", "60s", "10s", 130s});
      // Interval = timeout = 10 s: every route starts a request within 10 s and each hangs for
      // 10 s, so all 10,000 hang at once before the first time out; then the second round
      // hangs until the end of the run.
      scenarios.push_back({"10,000 hanging, 10 s timeout", 10000, "hang", "10s", "10s", 22s});
    }
    std::vector<figures> all;
    for (const auto& s : scenarios) {
      all.push_back(run_in_child(s, port));
      print(all.back());
    }
    const figures& fleet_run = all[1];
    const figures& hang = all[2];
    const double steady_share = 100.0 * fleet_run.steady_cpu / std::max(fleet_run.steady_seconds, 1e-9);
    std::vector<target_row> rows = {
        {"CPU after start-up, " + fleet_run.name, "<= 6%", figure("%.1f%% of one core", steady_share), steady_share <= 6.0},
        {"RSS peak, " + fleet_run.name, "<= 90 MB", figure("%.1f MB", mb(fleet_run.rss_peak)) + figure(" (%.1f MiB)", mib(fleet_run.rss_peak)), mb(fleet_run.rss_peak) <= 90.0},
        {"RSS peak once every route holds 20 results (projected)", "<= 90 MB", figure("%.1f MB", mb(fleet_run.rss_peak + fleet_run.rings_full_kib)), mb(fleet_run.rss_peak + fleet_run.rings_full_kib) <= 90.0},
        {"/metrics, plain, " + fleet_run.name, "<= 60 ms", figure("%.1f ms", fleet_run.plain.ms) + figure(", %.1f MB", static_cast<double>(fleet_run.plain.bytes) / 1e6), fleet_run.plain.status == 200 && fleet_run.plain.ms <= 60.0},
        {"/metrics, gzip, " + fleet_run.name, "<= 60 ms", figure("%.1f ms", fleet_run.gzip.ms) + figure(", %.1f MB", static_cast<double>(fleet_run.gzip.bytes) / 1e6), fleet_run.gzip.status == 200 && fleet_run.gzip.ms <= 60.0},
        {"start to READY=1, 10,000 routes (median of 3)", "<= 1 s", figure("%.0f ms", ready), ready <= 1000.0},
        {"RSS at the end of the run, " + hang.name, "<= 150 MB", figure("%.1f MB", mb(hang.rss_end)) + figure(" (peak %.1f MB)", mb(hang.rss_peak)), mb(hang.rss_end) <= 150.0},
    };
    print_targets(rows, quick);
  }
  std::printf("load average at the end %s\n", load_average().c_str());
  ::kill(upstream, SIGTERM);
  ::waitpid(upstream, nullptr, 0);
  std::filesystem::remove_all(state_dir());
  return 0;
}
