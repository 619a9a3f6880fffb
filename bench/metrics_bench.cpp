// Prints how long /metrics takes to render with 1,000 and 10,000 routes (median of 5), the
// exposition size, the cost of one record() call, and, for comparison, prometheus-cpp's own
// TextSerializer over collect() on the same data. Goal: 10,000 routes under 150 ms.

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "exporters/metrics.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

// CPU time of this thread: the machine is shared, wall time includes waiting for a core.
double thread_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) {
      return std::stol(line.substr(6));
    }
  }
  return -1;
}

visionwatch::probe_result make_probe(const std::string& route, std::size_t i) {
  visionwatch::probe_result p;
  p.route = route;
  p.result = visionwatch::all_outcomes[i % visionwatch::outcome_count];
  p.http_status = 200;
  p.latency_seconds = 0.4 + static_cast<double>(i % 50) * 0.1;
  p.phases = {
      0.001, 0.01, 0.03, 0.001, p.latency_seconds - 0.1, 0.058, p.latency_seconds, std::nullopt};
  p.tokens.prompt_tokens = 310;
  p.tokens.completion_tokens = 4;
  p.tokens.image_tokens = 255;
  p.cost_usd = 0.000051;
  p.started_at = std::chrono::system_clock::now();
  return p;
}

void run(std::size_t routes, bool with_reference) {
  const long rss_before = rss_kib();
  visionwatch::metrics m({{"region", "eu-west-1"}}, "0.1.0", "0123456789ab");
  std::vector<visionwatch::route_handle> handles;
  handles.reserve(routes);
  auto start = clock_type::now();
  for (std::size_t i = 0; i < routes; ++i) {
    const std::string name =
        "team-" + std::to_string(i % 40) + "/openrouter:gpt-4o-mini-" + std::to_string(i);
    handles.push_back(m.add_route({name, "openai/gpt-4o-mini", "openrouter", "openai-chat"}));
  }
  const double add_ms = ms_since(start);
  const visionwatch::window_figures figures{0.9, 1.8, 2.7, 3.1, 0.00021, 0.97};

  // First record on each route creates its lazy series; time the steady state separately.
  std::vector<visionwatch::probe_result> probes;
  probes.reserve(routes);
  for (std::size_t i = 0; i < routes; ++i) {
    probes.push_back(make_probe("", i));
  }
  start = clock_type::now();
  for (std::size_t i = 0; i < routes; ++i) {
    m.record(handles[i], probes[i], figures);
  }
  const double first_record_ns = ms_since(start) * 1e6 / static_cast<double>(routes);
  constexpr int rounds = 5;
  start = clock_type::now();
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t i = 0; i < routes; ++i) {
      m.record(handles[i], probes[i], figures);
    }
  }
  const double record_ns = ms_since(start) * 1e6 / static_cast<double>(routes * rounds);

  std::vector<double> times;
  std::vector<double> cpu_times;
  std::size_t size = 0;
  std::string buffer;
  for (int r = 0; r < 5; ++r) {
    buffer.clear();
    start = clock_type::now();
    const double cpu_start = thread_cpu_ms();
    m.render(buffer);
    cpu_times.push_back(thread_cpu_ms() - cpu_start);
    times.push_back(ms_since(start));
    size = buffer.size();
  }
  const long rss_after = rss_kib();

  std::vector<double> reference;
  std::size_t reference_size = 0;
  for (int r = 0; with_reference && r < 3; ++r) {
    start = clock_type::now();
    const std::string text = prometheus::TextSerializer{}.Serialize(m.collect());
    reference.push_back(ms_since(start));
    reference_size = text.size();
  }

  // Removing routes: a reload dropping 1% of them.
  const std::size_t removed = std::max<std::size_t>(routes / 100, 1);
  start = clock_type::now();
  for (std::size_t i = 0; i < removed; ++i) {
    const std::string name =
        "team-" + std::to_string(i % 40) + "/openrouter:gpt-4o-mini-" + std::to_string(i);
    m.remove_route(name);
  }
  const double remove_ms = ms_since(start) / static_cast<double>(removed);

  std::printf("routes %zu\n", routes);
  std::printf("  add_route           %.1f ms total\n", add_ms);
  std::printf("  record (first)      %.0f ns/call\n", first_record_ns);
  std::printf("  record              %.0f ns/call\n", record_ns);
  std::printf("  render              %.1f ms median of 5 (min %.1f, max %.1f), %zu bytes\n",
              median(times),
              *std::min_element(times.begin(), times.end()),
              *std::max_element(times.begin(), times.end()),
              size);
  std::printf("  render CPU time     %.1f ms median of 5\n", median(cpu_times));
  if (!reference.empty()) {
    std::printf(
        "  prometheus-cpp      %.1f ms median of 3 (TextSerializer over collect()), %zu bytes\n",
        median(reference),
        reference_size);
  }
  std::printf("  remove_route        %.2f ms/route\n", remove_ms);
  std::printf("  RSS                 +%ld MiB\n", (rss_after - rss_before) / 1024);
}

}  // namespace

// `--no-reference` skips the slow prometheus-cpp comparison (for profiling render alone).
int main(int argc, char** argv) {
  const bool with_reference = !(argc > 1 && std::string_view(argv[1]) == "--no-reference");
  run(1'000, with_reference);
  run(10'000, with_reference);
  return 0;
}
