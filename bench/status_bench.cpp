// The status page and /api/v1/routes at 10,000 routes: a `service` in this process with 10,000
// routes (8 gateways, 25 models), each given 20 recent results through the probe path
// (service::record_result: state, metrics, alerts), then asked over loopback HTTP, one request
// at a time on one keep-alive connection, as a browser or a script would:
//   - the first page, every page (walking next_cursor), a deep page by its cursor and the page
//     before it, at limit 100; filters (state, gateway and model, outcome, alert, name) and the
//     other sorts; `limit=1` (the pass over every route's key, nothing rendered); one route by
//     name; and `limit=1000`, the largest page, for scale.
// Each figure is the median (and the slowest) of the requests' wall times as the client saw
// them, from the request's first byte to the response's last, and the median CPU time the
// daemon's io thread spent on them (steadier on a shared machine: wall time includes waiting
// for a core). The goal is 50 ms per page at 10,000 routes (issue 14). Prints figures; asserts
// nothing.
//
//   status_bench [--routes N] [--repeat N]
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/runtime/service.hpp"

namespace {

using namespace visionwatch;
using steady = std::chrono::steady_clock;

constexpr std::size_t gateways = 8;
constexpr std::size_t models = 25;
constexpr std::size_t results_per_route = 20;
constexpr double target_ms = 50;

std::string route_name(std::size_t i) {
  return "team-" + std::to_string(i % 40) + "/model-" + std::to_string(i % models) + "-" +
         std::to_string(i);
}

std::string config_yaml(std::size_t routes, const std::string& state_dir) {
  std::string y;
  y.reserve(routes * 100 + 2048);
  // Port 9 (discard) refuses: the few probes the scheduler starts during the run fail fast.
  y += "global:\n  listen: \"127.0.0.1:0\"\n  shutdown_grace: 1s\n";
  y += "  state_dir: \"" + state_dir + "\"\n";
  y += "defaults:\n  interval: 1h\n  timeout: 5s\n  baseline_interval: 24h\n";
  y += "gateways:\n";
  for (std::size_t g = 0; g < gateways; ++g) {
    y += "  - {name: gw-" + std::to_string(g) +
         ", base_url: \"http://127.0.0.1:9/v1\", api: openai-chat, proxy_url: none}\n";
  }
  y += "routes:\n";
  for (std::size_t i = 0; i < routes; ++i) {
    y += "  - {name: \"" + route_name(i) + "\", gateway: gw-" + std::to_string(i % gateways) +
         ", model: model-" + std::to_string(i % models) + "}\n";
  }
  return y;
}

/// The k-th of a route's 20 results (k = 0 oldest): most routes pass; one in 20 fails silently
/// (wrong_answer), one in 20 fails loudly (http_5xx), one in 50 failed only its latest probe
/// (an alert pending), one in 25 is slow.
probe_result result(std::size_t route, std::size_t k, std::chrono::system_clock::time_point now) {
  probe_result r;
  r.sequence = k + 1;
  r.seed = route * 1000 + k;
  r.started_at = now - std::chrono::minutes(60 * (results_per_route - k));
  r.http_status = 200;
  r.latency_seconds =
      0.4 + static_cast<double>((route * 7 + k * 13) % 100) / 50.0 + (route % 25 == 3 ? 20.0 : 0.0);
  r.phases = {0.001, 0.01, 0.03, 0.001, r.latency_seconds - 0.1, 0.05, r.latency_seconds, {}};
  r.tokens.prompt_tokens = 310;
  r.tokens.completion_tokens = 4;
  r.tokens.image_tokens = 255;
  r.baseline_prompt_tokens = 55;
  r.cost_usd = 0.000051;
  r.expected = std::to_string(4821 + route % 1000);
  r.answer_excerpt = "The number in the image is " + r.expected + ".";
  const bool last = k + 1 == results_per_route;
  if (route % 20 == 5 || (route % 50 == 7 && last)) {
    r.result = outcome::wrong_answer;
    r.answer_excerpt = "The number in the image is 1234.";
    r.reason =
        "answer 'The number in the image is 1234.' does not contain expected '" + r.expected + "'";
  } else if (route % 20 == 6) {
    r.result = outcome::http_5xx;
    r.http_status = 502;
    r.answer_excerpt.clear();
    r.reason = "HTTP 502: upstream connect error or disconnect/reset before headers";
  }
  return r;
}

double cpu_ms(clockid_t clock) {
  timespec t{};
  clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

struct reply {
  int status = 0;
  std::string body;
  double ms = 0;   ///< wall time, as the client saw it
  double cpu = 0;  ///< the daemon's io thread CPU time
};

struct client {
  net::io_context io;
  net::ip::tcp::socket socket{io};
  boost::beast::flat_buffer buffer;
  clockid_t server_clock;

  client(unsigned short port, clockid_t server) : server_clock(server) {
    socket.connect({net::ip::make_address("127.0.0.1"), port});
  }

  /// One GET on the keep-alive connection.
  reply get(const std::string& target) {
    http::request<http::string_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    const auto t0 = steady::now();
    const double cpu0 = cpu_ms(server_clock);
    http::write(socket, req);
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::size_t{1} << 30);
    http::read(socket, buffer, parser);
    const double cpu = cpu_ms(server_clock) - cpu0;
    const double ms = std::chrono::duration<double, std::milli>(steady::now() - t0).count();
    return {static_cast<int>(parser.get().result_int()), std::move(parser.get().body()), ms, cpu};
  }
};

struct row {
  std::string label;
  std::vector<double> ms;
  std::vector<double> cpu;
  std::size_t bytes = 0;

  void add(const reply& r) {
    ms.push_back(r.ms);
    cpu.push_back(r.cpu);
    bytes = std::max(bytes, r.body.size());
  }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void print(const row& r) {
  const double med = median(r.ms);
  const double worst = r.ms.empty() ? 0 : *std::max_element(r.ms.begin(), r.ms.end());
  std::printf("%-56s %5zu %9.2f %9.2f %9.2f %8.0f   %s\n",
              r.label.c_str(),
              r.ms.size(),
              med,
              worst,
              median(r.cpu),
              static_cast<double>(r.bytes) / 1024.0,
              med <= target_ms ? "ok" : "OVER");
}

std::string next_cursor_of(const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  return j.is_object() && j["next_cursor"].is_string() ? j["next_cursor"].get<std::string>() : "";
}

std::string prev_cursor_of(const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  return j.is_object() && j["prev_cursor"].is_string() ? j["prev_cursor"].get<std::string>() : "";
}

}  // namespace

// NOLINTNEXTLINE(bugprone-exception-escape): a benchmark; an error may end it
int main(int argc, char** argv) {
  std::size_t routes = 10'000;
  int repeat = 15;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--routes") {
      routes = std::strtoul(argv[i + 1], nullptr, 10);
    } else if (a == "--repeat") {
      repeat = std::atoi(argv[i + 1]);
    }
  }
  spdlog::set_level(spdlog::level::off);  // one log line per recorded result otherwise
  const auto state_dir = std::filesystem::temp_directory_path() / "vw-status-bench";
  std::filesystem::remove_all(state_dir);
  std::filesystem::create_directories(state_dir);
  auto loaded = parse_config(config_yaml(routes, state_dir.string()), "<bench>");
  if (!loaded.errors.empty() || !loaded.value) {
    std::fprintf(stderr,
                 "bench config: %s\n",
                 loaded.errors.empty() ? "no value" : loaded.errors.front().to_string().c_str());
    return 1;
  }
  net::io_context io(1);
  service_options opts;
  opts.handle_signals = false;
  service svc(io, std::move(*loaded.value), std::move(opts));
  svc.start();
  const auto fill0 = steady::now();
  const auto now = std::chrono::system_clock::now();
  for (std::size_t i = 0; i < routes; ++i) {
    for (std::size_t k = 0; k < results_per_route; ++k) {
      svc.record_result(route_name(i), result(i, k, now));
    }
  }
  const double fill_s = std::chrono::duration<double>(steady::now() - fill0).count();
  std::thread server([&io] { io.run(); });

  std::printf(
      "status_bench: %zu routes, %zu results each (recorded in %.1f s), %d requests per "
      "figure unless stated; wall time per request on one keep-alive connection, CPU time of "
      "the daemon's io thread\n\n",
      routes,
      results_per_route,
      fill_s,
      repeat);
  std::printf("%-56s %5s %9s %9s %9s %8s   %s\n",
              "request",
              "n",
              "median ms",
              "max ms",
              "CPU ms",
              "KiB",
              "median <= 50 ms");
  clockid_t server_clock{};
  pthread_getcpuclockid(server.native_handle(), &server_clock);
  client c(svc.admin_port(), server_clock);
  std::vector<row> rows;
  auto measure = [&](const std::string& label, const std::string& target, int n = -1) {
    row r{label, {}, {}, 0};
    for (int i = 0; i < (n < 0 ? repeat : n); ++i) {
      const auto got = c.get(target);
      if (got.status != 200) {
        std::fprintf(stderr, "%s: HTTP %d: %s\n", target.c_str(), got.status, got.body.c_str());
        std::exit(1);
      }
      r.add(got);
    }
    print(r);
    return r;
  };
  /// Every page of the API's `query` at limit 100, walking next_cursor; returns the cursors.
  auto walk = [&](const std::string& label, const std::string& query) {
    row r{label, {}, {}, 0};
    std::vector<std::string> cursors{""};
    const std::string base = "/api/v1/routes?" + query + (query.empty() ? "" : "&");
    for (;;) {
      const std::string target = base + (cursors.back().empty() ? "" : "cursor=" + cursors.back());
      const auto got = c.get(target);
      if (got.status != 200) {
        std::fprintf(stderr, "%s: HTTP %d\n", target.c_str(), got.status);
        std::exit(1);
      }
      r.add(got);
      const auto next = next_cursor_of(got.body);
      if (next.empty()) {
        break;
      }
      cursors.push_back(next);
    }
    r.label += " (" + std::to_string(r.ms.size()) + " pages)";
    print(r);
    return cursors;
  };

  std::printf("\nGET /api/v1/routes (JSON)\n");
  measure("first page, failing first (limit 100)", "/api/v1/routes");
  const auto cursors = walk("every page, walking next_cursor", "");
  const std::string deep = cursors.size() > 80 ? cursors[80] : cursors.back();
  measure("a deep page by its cursor (page 81)", "/api/v1/routes?cursor=" + deep);
  measure("the page before it (prev_cursor)",
          "/api/v1/routes?cursor=" + prev_cursor_of(c.get("/api/v1/routes?cursor=" + deep).body));
  measure("?state=failing", "/api/v1/routes?state=failing");
  measure("?gateway=gw-3&model=model-11", "/api/v1/routes?gateway=gw-3&model=model-11");
  measure("?outcome=wrong_answer", "/api/v1/routes?outcome=wrong_answer");
  measure("?alert=firing", "/api/v1/routes?alert=firing");
  measure("?alert=pending", "/api/v1/routes?alert=pending");
  measure("?q=team-7/ (name contains)", "/api/v1/routes?q=team-7%2F");
  measure("?sort=name", "/api/v1/routes?sort=name");
  measure("?sort=last_probe", "/api/v1/routes?sort=last_probe");
  measure("?sort=latency", "/api/v1/routes?sort=latency");
  walk("?sort=latency, every page", "sort=latency");
  measure("?limit=1 (the pass over every key, one route rendered)", "/api/v1/routes?limit=1");
  measure("/api/v1/routes/{name} (one route)",
          "/api/v1/routes/" + std::string("team-7%2Fmodel-7-1007"));
  measure("?limit=1000 (the largest page, for scale)", "/api/v1/routes?limit=1000", 5);

  std::printf("\nGET / (the HTML status page)\n");
  measure("first page, failing first (limit 100)", "/");
  {
    row r{"every page, by the API's cursors", {}, {}, 0};
    for (const auto& cursor : cursors) {
      const std::string target = "/?cursor=" + cursor;  // the first: an empty cursor
      const auto got = c.get(target);
      if (got.status != 200) {
        std::fprintf(stderr, "%s: HTTP %d\n", target.c_str(), got.status);
        return 1;
      }
      r.add(got);
    }
    r.label += " (" + std::to_string(r.ms.size()) + " pages)";
    print(r);
  }
  measure("a deep page by its cursor (page 81)", "/?cursor=" + deep);
  measure("?state=failing", "/?state=failing");
  measure("?gateway=gw-3&model=model-11", "/?gateway=gw-3&model=model-11");
  measure("?outcome=wrong_answer&sort=latency", "/?outcome=wrong_answer&sort=latency");
  measure("?alert=firing", "/?alert=firing");
  measure("?q=team-7/", "/?q=team-7%2F");
  measure("?limit=1000 (the largest page, for scale)", "/?limit=1000", 5);

  net::post(io, [&svc] { svc.request_stop(); });
  server.join();
  std::filesystem::remove_all(state_dir);
  return 0;
}
