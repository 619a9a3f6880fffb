#pragma once
/// What several benchmarks share: CPU and memory readings of this process, the simulated
/// gateway run in a forked child (so the figures are the daemon's alone), a temporary state
/// directory, and medians of samples. Benchmarks only: prints nothing, asserts nothing.

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/sim/sim_gateway.hpp"

namespace visionwatch::bench {

/// User + system CPU seconds of this process (every thread) so far.
double process_cpu_seconds();

/// Context switches of this process so far, voluntary and not: a thread that sleeps until its
/// next event and wakes for it pays one each way.
long context_switches();
/// The same for the calling thread alone (the io thread, without the scraper's or curl's).
long thread_context_switches();

/// CPU microseconds of the calling thread so far: holds on a busy machine, where wall-clock
/// time does not.
double thread_cpu_us();

/// A field of /proc/self/status in KiB ("VmRSS:", "VmHWM:"); 0 if absent.
long proc_kib(const char* field);
/// The same field of another process (a child's RSS).
long proc_kib(const char* field, pid_t pid);

/// KiB as MiB and as MB (the targets are in MB, /proc in KiB).
inline double mib(long kib) { return static_cast<double>(kib) / 1024.0; }
inline double mb(long kib) { return static_cast<double>(kib) * 1024.0 / 1e6; }

/// The 1, 5 and 15 minute load averages as /proc/loadavg gives them ("5.37 3.94 2.82").
std::string load_average();

/// A fresh temporary directory for state files, created on first use; remove_state_dir()
/// deletes it.
const std::string& state_dir();
void remove_state_dir();

/// A chat completion answering "42" with usage (prompt 300, completion 1): a canned reply
/// that costs the upstream nothing to produce.
inline constexpr std::string_view canned_chat_completion =
    R"({"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,)"
    R"("model":"bench","choices":[{"index":0,"message":{"role":"assistant",)"
    R"("content":"42"},"finish_reason":"stop"}],)"
    R"("usage":{"prompt_tokens":300,"completion_tokens":1,"total_tokens":301}})";

/// Runs a sim_gateway in a forked child with the handler `make_handler` returns (called in the
/// child, so whatever it builds lives there) and returns the child's pid; `port` receives its
/// port. The child dies with this process; stop_upstream() ends it earlier. Exits the process
/// when the child cannot be started.
pid_t fork_upstream(std::uint16_t& port, const std::function<sim_gateway::handler()>& make_handler);
/// SIGTERM to the child, then waits for it.
void stop_upstream(pid_t pid);

/// A pipe, or exit.
std::array<int, 2> make_pipe();
/// fork(), or exit; the child dies with the benchmark (stdout is flushed first, so the child's
/// exit does not print the parent's buffered lines again).
pid_t fork_child();
/// Runs `body` in a child process and returns what it wrote (the child's memory and CPU are
/// then its alone); exits when the child fails or writes nothing.
std::string output_of_child(const std::function<std::string()>& body);

/// Median and 99th percentile of samples (sorts them); zeros for none.
struct sample_summary {
  double median = 0;
  double p99 = 0;
};
sample_summary summarise(std::vector<double>& samples);

}  // namespace visionwatch::bench
