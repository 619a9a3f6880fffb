// Configuration loading at scale: parse_config on generated files of 1k, 10k and 50k routes,
// once with every route on a defined gateway and once with every route naming an unknown one
// (the error path: each route is an error, only the first max_errors are kept), a matrix
// that expands to as many routes, and as many gateways with one route each. Prints the load time
// per case and the per-route cost of the largest size relative to the smallest (about 1.0 when
// loading is linear).
//
//   config_bench           1,000 / 10,000 / 50,000 routes
//   config_bench --quick   1,000 / 5,000
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"

namespace {

using namespace visionwatch;

std::string header() {
  return "global:\n  listen: \"127.0.0.1:0\"\n"
         "defaults:\n  interval: 60s\n  timeout: 30s\n"
         "gateways:\n  - {name: gw, base_url: \"http://127.0.0.1:9/v1\", proxy_url: none}\n";
}

std::string routes_yaml(std::size_t n, bool unknown_gateway) {
  std::string y = header() + "routes:\n";
  y.reserve(y.size() + n * 64);
  for (std::size_t i = 0; i < n; ++i) {
    y += "  - {name: r" + std::to_string(i) +
         ", gateway: " + (unknown_gateway ? "nowhere" + std::to_string(i % 7) : std::string("gw")) +
         ", model: m" + std::to_string(i) + "}\n";
  }
  return y;
}

/// n gateways (without proxy_url: each is checked against the proxy environment) and one
/// route on each.
std::string gateways_yaml(std::size_t n) {
  std::string y = "global:\n  listen: \"127.0.0.1:0\"\ngateways:\n";
  y.reserve(n * 128);
  for (std::size_t i = 0; i < n; ++i) {
    y += "  - {name: g" + std::to_string(i) + ", base_url: \"http://127.0.0.1:9/v1\"}\n";
  }
  y += "routes:\n";
  for (std::size_t i = 0; i < n; ++i) {
    y += "  - {name: r" + std::to_string(i) + ", gateway: g" + std::to_string(i) + ", model: m}\n";
  }
  return y;
}

std::string matrix_yaml(std::size_t n) {
  std::string y = header() + "routes:\n  - matrix:\n      gateway: gw\n      models: [";
  for (std::size_t i = 0; i < n; ++i) {
    y += (i ? ", m" : "m") + std::to_string(i);
  }
  return y + "]\n";
}

struct figure {
  double seconds = 0;
  std::size_t routes = 0;
  std::size_t errors = 0;
};

figure load(const std::string& yaml) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = parse_config(
      yaml, "bench.yaml", [](std::string_view) { return std::optional<std::string>(); });
  figure f;
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  f.routes = r.value ? r.value->routes.size() : 0;
  f.errors = r.errors.size();
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const std::vector<std::size_t> sizes = quick ? std::vector<std::size_t>{1'000, 5'000}
                                               : std::vector<std::size_t>{1'000, 10'000, 50'000};
  struct kind {
    const char* name;
    std::string (*make)(std::size_t);
  };
  const std::array<kind, 4> kinds = {{
      {"known gateway", [](std::size_t n) { return routes_yaml(n, false); }},
      {"unknown gateway", [](std::size_t n) { return routes_yaml(n, true); }},
      {"matrix", matrix_yaml},
      {"gateway each", gateways_yaml},
  }};
  std::printf(
      "%-16s %8s %10s %8s %8s %12s\n", "case", "routes", "load s", "loaded", "errors", "us/route");
  for (const auto& k : kinds) {
    double first_per_route = 0;
    double last_per_route = 0;
    for (const auto n : sizes) {
      const auto f = load(k.make(n));
      const double per_route = f.seconds / static_cast<double>(n) * 1e6;
      if (first_per_route == 0) {
        first_per_route = per_route;
      }
      last_per_route = per_route;
      std::printf("%-16s %8zu %10.3f %8zu %8zu %12.2f\n",
                  k.name,
                  n,
                  f.seconds,
                  f.routes,
                  f.errors,
                  per_route);
    }
    std::printf("%-16s per-route cost at %zu vs %zu routes: %.2fx (1.0 = linear)\n\n",
                k.name,
                sizes.back(),
                sizes.front(),
                last_per_route / first_per_route);
  }
  return 0;
}
