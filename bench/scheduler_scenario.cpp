#include "bench/scheduler_scenario.hpp"

#include <malloc.h>
#include <poll.h>
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
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "bench/alloc_counter.hpp"
#include "bench/bench_support.hpp"
#include "daemon/app/commands.hpp"
#include "daemon/config/config.hpp"
#include "daemon/runtime/heap_trim.hpp"
#include "daemon/runtime/route_state.hpp"
#include "daemon/runtime/service.hpp"
#include "daemon/sim/sim_gateway.hpp"
#include "daemon/sim/sim_model.hpp"
#include "probes/challenge.hpp"
#include "probes/logging.hpp"

namespace visionwatch::bench {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using json = nlohmann::json;

/// The "canned" scenario's probe: one real 512x512 digits challenge, sent by every route as a
/// user-supplied image (so the upstream knows the answer without reading pixels).
const challenge& canned_probe() {
  static const challenge c = make_challenge(challenge_options{}, 42);
  return c;
}

/// The canned upstream's reply: the right answer and, for the image request, usage above the
/// text-only control request's.
std::string canned_completion(bool image) {
  const json reply = {
      {"id", "chatcmpl-bench"},
      {"object", "chat.completion"},
      {"created", 1700000000},
      {"model", "canned"},
      {"choices",
       json::array({{{"index", 0},
                     {"message", {{"role", "assistant"}, {"content", canned_probe().answer}}},
                     {"finish_reason", "stop"}}})},
      {"usage",
       {{"prompt_tokens", image ? 1125 : 40}, {"completion_tokens", 3},
        {"total_tokens", image ? 1128 : 43}}}};
  return reply.dump();
}

double ms_since(steady::time_point t0) {
  return std::chrono::duration<double, std::milli>(steady::now() - t0).count();
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
  if (model == "canned") {
    // A user-supplied probe whose answer the canned upstream knows: the fleet is healthy
    // (right answers, image usage above the baseline) without the upstream reading pixels.
    const std::string image = dir + "/canned-probe.png";
    std::ofstream(image, std::ios::binary) << canned_probe().image;
    y += "  challenge: {image_file: \"" + image + "\", prompt: \"" + canned_probe().question +
         "\", expect: {words: [\"" + canned_probe().answer + "\"]}}\n";
  }
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

scrape curl_metrics(unsigned short port, bool gzip) {
  const std::string cmd =
      std::string("curl -s -o /dev/null -w '%{time_total} %{size_download} %{http_code} %header{content-encoding}' ") +
      (gzip ? "-H 'Accept-Encoding: gzip' " : "") + "--max-time 30 http://127.0.0.1:" +
      std::to_string(port) + "/metrics";
  scrape out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    double seconds = 0;
    unsigned long long bytes = 0;
    int status = 0;
    if (std::fscanf(p, "%lf %llu %d", &seconds, &bytes, &status) == 3) {
      std::array<char, 64> encoding{};
      out = {seconds * 1000.0,
             static_cast<std::size_t>(bytes),
             status,
             std::fscanf(p, "%63s", encoding.data()) == 1 ? encoding.data() : "identity"};
    }
    ::pclose(p);
  }
  return out;
}

/// The median (by time) of `n` scrapes.
scrape median_scrape(unsigned short port, bool gzip, int n) {
  std::vector<scrape> all;
  all.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    all.push_back(curl_metrics(port, gzip));
  }
  std::sort(all.begin(), all.end(), [](const scrape& a, const scrape& b) { return a.ms < b.ms; });
  return all[all.size() / 2];
}

}  // namespace

void to_json(json& j, const scrape& s) {
  j = json{{"ms", s.ms}, {"bytes", s.bytes}, {"status", s.status}, {"encoding", s.encoding}};
}
void from_json(const json& j, scrape& s) {
  s.ms = j.at("ms");
  s.bytes = j.at("bytes");
  s.status = j.at("status");
  s.encoding = j.at("encoding");
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
                                   steady_switches,
                                   steady_allocations,
                                   rss_start,
                                   rss_peak,
                                   rss_end,
                                   rss_stopped,
                                   rss_trimmed,
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
                                   timeout_phases,
                                   min_latency,
                                   max_latency,
                                   peak_in_flight,
                                   rss_at_peak,
                                   rings_full_kib,
                                   results_per_route,
                                   route_state_full_bytes)

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
  const long rss_parsed = proc_kib("VmRSS:");
  const long hwm_parsed = proc_kib("VmHWM:");
  const auto heap_parsed = heap_mib();
  if (!loaded.errors.empty() || !loaded.value) {
    std::fprintf(stderr,
                 "bench config: %s\n",
                 loaded.errors.empty() ? "no configuration"
                                       : loaded.errors.front().to_string().c_str());
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
      const auto during = r.reason.find("during ");
      ++f.timeout_phases[during == std::string::npos
                             ? std::string("other")
                             : r.reason.substr(during + 7, r.reason.find(' ', during + 7) - during - 7)];
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
  const auto cpu0 = process_cpu_seconds();
  const auto t0 = steady::now();
  svc->start();
  f.start_ms = ms_since(t0);
  const auto admin_port = svc->admin_port();
  if (s.trace) {
    std::printf("  admin API at %s\n", svc->admin_url().c_str());
    // Which start-up step sets the high-water mark (VmHWM): the configuration's parse, the
    // service's construction or its start.
    std::printf("  start-up: RSS / HWM %.1f / %.1f MiB after the parse (heap %.1f MiB in use, %.1f free), %.1f / %.1f after the service's construction and start\n",
                mib(rss_parsed),
                mib(hwm_parsed),
                heap_parsed.first,
                heap_parsed.second,
                mib(proc_kib("VmRSS:")),
                mib(proc_kib("VmHWM:")));
  }
  net::steady_timer sampler(io);
  // With --trace, the high-water mark is read and reset (`clear_refs` 5) at every sample, so the
  // timeline shows in which half second a burst above the sampled RSS happened; the run's mark
  // is the largest of them.
  long hwm_before = 0;
  std::function<void()> sample = [&] {
    const long rss = proc_kib("VmRSS:");
    long hwm_interval = 0;
    if (s.trace) {
      hwm_interval = proc_kib("VmHWM:");
      hwm_before = std::max(hwm_before, hwm_interval);
      std::ofstream("/proc/self/clear_refs") << "5";
    }
    f.rss_peak = std::max(f.rss_peak, rss);
    const auto now_in_flight = static_cast<std::size_t>(svc->metrics_registry().in_flight());
    if (now_in_flight > f.peak_in_flight) {
      f.peak_in_flight = now_in_flight;
      f.rss_at_peak = rss;
    }
    if (s.trace) {
      const auto [used, free] = heap_mib();
      std::printf("  t=%6.1f s  RSS %6.1f MiB  HWM since the last sample %6.1f MiB%s  heap in use %6.1f MiB, free %6.1f MiB  in flight %zu\n",
                  ms_since(t0) / 1000.0,
                  mib(rss),
                  mib(hwm_interval),
                  hwm_interval > rss + 256 ? " (burst)" : "",
                  used,
                  free,
                  now_in_flight);
      std::fflush(stdout);
    }
    sampler.expires_after(500ms);
    sampler.async_wait([&](boost::system::error_code ec) {
      if (!ec && !stopping) {  // a wait that completed just before cancel() must not re-arm
        sample();
      }
    });
  };
  sample();
  // Prometheus' part: a gzip scrape every 15 s from another process; the daemon serves it on
  // its io thread, so its cost is in the CPU figure. After the run, the figures for /metrics:
  // five scrapes each way, probes still running.
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
    f.plain = median_scrape(admin_port, false, 5);
    f.gzip = median_scrape(admin_port, true, 5);
    net::post(io, [&] {
      sampler.cancel();
      stopping = true;
      svc->request_stop();
    });
  });
  // After start-up: the lag histogram's growth and the CPU over the second half of the run.
  std::vector<std::pair<double, std::uint64_t>> lag_half;
  double cpu_half = 0;
  long switches_half = 0;
  std::uint64_t allocations_half = 0;
  std::size_t probes_half = 0;
  steady::time_point t_half;
  net::steady_timer half(io);
  half.expires_after(s.duration / 2);
  half.async_wait([&](boost::system::error_code) {
    lag_half = svc->metrics_registry().scheduler_lag_buckets();
    cpu_half = process_cpu_seconds();
    switches_half = thread_context_switches();
    allocations_half = allocations();
    probes_half = f.probes;
    t_half = steady::now();
  });
  net::steady_timer stop(io);
  stop.expires_after(s.duration);
  stop.async_wait([&](boost::system::error_code) {
    f.seconds = ms_since(t0) / 1000.0;
    f.cpu = process_cpu_seconds() - cpu0;
    f.rss_end = proc_kib("VmRSS:");
    f.rss_peak = std::max(f.rss_peak, f.rss_end);
    std::tie(f.heap_used_end, f.heap_free_end) = heap_mib();
    f.lag = lag_p99(lag_half, svc->metrics_registry().scheduler_lag_buckets());
    f.steady_cpu = process_cpu_seconds() - cpu_half;
    f.steady_seconds = std::chrono::duration<double>(steady::now() - t_half).count();
    f.steady_probes = f.probes - probes_half;
    f.steady_switches = thread_context_switches() - switches_half;
    f.steady_allocations = allocations() - allocations_half;
    measured = true;
  });
  io.run();
  scraper.join();
  svc.reset();
  f.rss_stopped = proc_kib("VmRSS:");
  trim_heap(0);  // what upkeep does within 5 s of a burst of frees, had the service kept running
  f.rss_trimmed = proc_kib("VmRSS:");
  f.hwm = std::max(hwm_before, proc_kib("VmHWM:"));
  f.min_latency = f.timeouts ? min_latency : 0.0;
  if (last_image_probe && s.routes > 0) {
    constexpr std::size_t ring = 20;  // route_state's recent results
    f.results_per_route = static_cast<double>(f.probes) / static_cast<double>(s.routes);
    const auto now = static_cast<std::size_t>(std::min<double>(std::round(f.results_per_route), ring));
    f.route_state_full_bytes = route_state_bytes(*last_image_probe, ring, 20);
    const double extra = f.route_state_full_bytes -
                         route_state_bytes(*last_image_probe, now, 20);
    f.rings_full_kib = std::lround(extra * static_cast<double>(s.routes) / 1024.0);
  }
  return f;
}

figures run_in_child(const scenario& s, std::uint16_t port) {
  return json::parse(output_of_child([&] { return json(run_scenario(s, port)).dump(); }))
      .get<figures>();
}

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
  const auto t0 = steady::now();
  const pid_t pid = fork_child();
  if (pid == 0) {
    ::setenv("NOTIFY_SOCKET", socket_path.c_str(), 1);
    CLI::App app;
    cli_context ctx;
    add_run_command(app, ctx);
    std::vector<std::string> args = {"visionwatch", "run", "-c", config_path};
    std::vector<char*> argv;
    argv.reserve(args.size());
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
      r.rss = proc_kib("VmRSS:", pid);
      break;
    }
  }
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  ::close(sock);
  return r;
}

pid_t fork_sim_upstream(std::uint16_t& port) {
  return fork_upstream(port, [] {
    // "vision-healthy": sim_model reads every image and answers right, with image usage, so
    // the daemon sees a healthy fleet (the steady state the budgets are about). "canned": every
    // route sends one user-supplied image (canned_probe) whose answer the upstream returns at
    // once, without reading pixels (the upstream is then never the bottleneck): a healthy
    // fleet. "hang": never answers.
    return sim_gateway::handler(
        [model = std::make_shared<sim_model>()](const received_request& req) {
          if (req.body.find(R"("model":"hang")") != std::string::npos) {
            return response_plan::with_action(response_plan::action::hang);
          }
          if (req.body.find(R"("model":"canned")") != std::string::npos) {
            // The right answer; the image request's usage is above the control request's.
            const bool image = req.body.find("data:image/") != std::string::npos;
            static const std::string with_image = canned_completion(true);
            static const std::string text_only = canned_completion(false);
            return response_plan::json(image ? with_image : text_only);
          }
          return model->respond(req, sim_behaviour::healthy);
        });
  });
}

}  // namespace visionwatch::bench
