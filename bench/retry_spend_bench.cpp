// What retry_interval costs and buys: one route driven through the real scheduler core
// (daemon/runtime/schedule.hpp) over one simulated day on an injected clock, for several
// intervals and retry intervals (the default among them), in four scenarios: healthy, a one-hour
// outage, failing all day, and flapping (each probe fails with probability 0.3). Probes take
// 2 s. Prints image probes a day, the factor over a healthy day (the spend factor: a failed
// probe that got an answer is billed like a good one), and in the outage how long the second
// failed probe came after the first (silent_failure pages at 2 failures by default) and after
// the outage began (the wait for the first failed probe is the route's phase, up to an
// interval, whatever the retry_interval).
//
//   retry_spend_bench
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/runtime/schedule.hpp"

namespace {

using namespace std::chrono_literals;
using clock_point = visionwatch::scheduler_core::time_point;
using ms = std::chrono::milliseconds;

const clock_point t0{std::chrono::hours(10'000)};
constexpr ms latency = 2s;
const ms outage_start = 6h + 17s;  // not on a slot: as a real outage
const ms outage_end = 7h + 17s;

enum class scenario { healthy, outage, failing, flapping };

struct day_result {
  long probes = 0;
  std::optional<ms> first_failure;   ///< outage: its start to the first failed probe
  std::optional<ms> second_failure;  ///< outage: its start to the second failed probe
};

day_result simulate(ms interval, ms retry, scenario sc) {
  visionwatch::scheduler_core s(10);
  s.add_route(1, 0, interval, 24h, t0, t0 + 48h);  // control requests are not in the count
  s.set_retry_interval(1, retry);
  std::mt19937_64 rng(42);
  std::bernoulli_distribution flap(0.3);
  day_result out;
  const auto end = t0 + 24h;
  for (;;) {
    const auto next = s.next_wakeup();
    if (!next || *next >= end) {
      break;
    }
    for (const auto& job : s.poll(*next)) {
      ++out.probes;
      const auto since = *next - t0;
      bool failed = false;
      switch (sc) {
        case scenario::healthy:
          break;
        case scenario::outage:
          failed = since >= outage_start && since < outage_end;
          break;
        case scenario::failing:
          failed = true;
          break;
        case scenario::flapping:
          failed = flap(rng);
          break;
      }
      if (failed && sc == scenario::outage) {
        const auto after = std::chrono::duration_cast<ms>(since - outage_start);
        if (!out.first_failure) {
          out.first_failure = after;
        } else if (!out.second_failure) {
          out.second_failure = after;
        }
      }
      s.record_outcome(job.route, failed, *next + latency);
      s.finished(job.route);
    }
  }
  return out;
}

std::string seconds(ms d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

}  // namespace

int main() {
  std::printf("%-9s %-16s %9s %8s %14s %9s %14s %14s\n",
              "interval",
              "retry_interval",
              "healthy",
              "outage",
              "failing/day",
              "flapping",
              "2nd after 1st",
              "2nd after start");
  struct row {
    ms interval;
    std::optional<ms> retry;  ///< nullopt: the default
  };
  const std::vector<row> rows = {
      {30s, std::nullopt},
      {60s, 60s},
      {60s, std::nullopt},
      {60s, 15s},
      {60s, 5s},
      {5min, std::nullopt},
      {5min, 30s},
      {1h, std::nullopt},
      {1h, 30s},
  };
  for (const auto& r : rows) {
    visionwatch::route_settings settings;
    settings.interval = r.interval;
    settings.retry_interval = r.retry;
    const auto retry = settings.effective_retry_interval();
    const auto healthy = simulate(r.interval, retry, scenario::healthy);
    const auto outage = simulate(r.interval, retry, scenario::outage);
    const auto failing = simulate(r.interval, retry, scenario::failing);
    const auto flapping = simulate(r.interval, retry, scenario::flapping);
    const auto factor = [&](long n) {
      return static_cast<double>(n) / static_cast<double>(healthy.probes);
    };
    const std::string retry_text = seconds(retry) + (r.retry ? "" : " (default)");
    const auto gap = [](const std::optional<ms>& a, const std::optional<ms>& b) {
      return a && b ? seconds(*b - *a) : std::string("-");
    };
    std::printf("%-9s %-16s %9ld %7.3fx %7ld %5.2fx %8.2fx %14s %14s\n",
                seconds(r.interval).c_str(),
                retry_text.c_str(),
                healthy.probes,
                factor(outage.probes),
                failing.probes,
                factor(failing.probes),
                factor(flapping.probes),
                gap(outage.first_failure, outage.second_failure).c_str(),
                outage.second_failure ? seconds(*outage.second_failure).c_str() : "-");
  }
  return 0;
}
