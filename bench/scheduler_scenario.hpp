#pragma once
/// scheduler_bench's scenarios: the daemon's `service` run in-process against the simulated
/// gateway, scraped like Prometheus, with its CPU, RSS and scrape figures; and `visionwatch run`
/// timed to READY=1. scheduler_bench.cpp prints them next to the targets.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace visionwatch::bench {

/// What curl saw of one GET /metrics. With `gzip` it asks for it as Prometheus does and, like
/// a scraper that inflates while it reads, counts the bytes that came over the wire.
struct scrape {
  double ms = 0;
  std::size_t bytes = 0;
  int status = 0;
  std::string encoding;  ///< the Content-Encoding the daemon chose ("identity" for none)
};

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
  /// Over the second half too: the io thread's context switches (it sleeps until its next event
  /// and wakes for it) and the process's allocations (operator new, bench/alloc_counter.hpp).
  long steady_switches = 0;
  std::uint64_t steady_allocations = 0;
  long rss_start = 0;  ///< before the configuration was parsed
  long rss_peak = 0;
  long rss_end = 0;      ///< at the end of the run, probes still running
  long rss_stopped = 0;  ///< after the service stopped and was destroyed
  long rss_trimmed = 0;  ///< then after malloc_trim (heap_trim.hpp)
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
  /// Those by the phase their deadline passed in (connect: the gateway had not accepted yet).
  std::map<std::string, std::size_t> timeout_phases;
  double min_latency = 0;
  double max_latency = 0;
  std::size_t peak_in_flight = 0;
  long rss_at_peak = 0;
  /// KiB the recent-results rings add once full (20 probes per route) over what they held at
  /// the end of this run: measured on route states holding copies of a real result.
  long rings_full_kib = 0;
  double results_per_route = 0;
  /// Heap bytes of one route state holding 20 copies of the run's last image probe.
  double route_state_full_bytes = 0;
};

struct scenario {
  std::string name;
  std::size_t routes = 0;
  std::string model;
  std::string interval;
  std::string timeout;
  std::chrono::milliseconds duration{};
  bool trace = false;  ///< print RSS, heap and probes in flight every 0.5 s
};

/// Runs the scenario in this process: `routes` routes of `model` for `duration`, then five
/// plain and five gzip-asking scrapes, then stops the service.
figures run_scenario(const scenario& s, std::uint16_t port);
/// The same in a child process (its memory and CPU are then the scenario's alone).
figures run_in_child(const scenario& s, std::uint16_t port);

/// `visionwatch run` with `routes` routes, timed from the fork of its process to the READY=1 it
/// sends to NOTIFY_SOCKET (what systemd waits for with Type=notify).
struct readiness {
  double ms = -1;  ///< -1: no READY=1 within 30 s
  long rss = 0;    ///< KiB, at READY=1
};
readiness time_to_ready(std::uint16_t port, std::size_t routes);

/// The simulated gateway in a child: model "vision-healthy" reads every image and answers
/// right, "canned" gives a fixed completion, "hang" never answers. Returns its pid.
pid_t fork_sim_upstream(std::uint16_t& port);

}  // namespace visionwatch::bench
