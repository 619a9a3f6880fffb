#pragma once
/// The thin I/O driver of one receiver: a loop that takes the due notification from the
/// receiver's delivery_queue, formats it (receivers.hpp), sends it, feeds the verdict back and
/// sleeps on a timer until the next one is due; enqueue() wakes it early. All decisions live in
/// the queue. The owner co_spawns run() (in its task group) and keeps the notifier alive until
/// run() returns; everything runs on one io_context thread. Counters feed
/// visionwatch_notifications_total{receiver,result} and the queue depth gauge.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alerts/delivery_queue.hpp"
#include "alerts/receivers.hpp"
#include "probes/http_client.hpp"
#include "probes/net.hpp"

namespace visionwatch {

class notifier {
 public:
  using send_function = std::function<net::awaitable<http_result>(http_request)>;
  /// The wall clock: timestamps that are sent or shown (webhook bodies, message ids).
  using clock_function = std::function<wall_time()>;
  /// The steady clock retries, max_age and the retire deadline are scheduled on.
  using steady_clock_function = std::function<steady_time()>;
  /// Same shape as probes/logging.hpp's log_event, so the daemon passes that directly.
  using log_function = std::function<void(int spdlog_level,
                                          std::string_view msg,
                                          const std::vector<std::pair<std::string, std::string>>&)>;

  /// Throws std::invalid_argument when check_receiver() refuses `receiver` (start-up error).
  /// Empty `clock` uses the system clock, empty `steady` std::chrono::steady_clock; empty `log`
  /// logs through spdlog.
  notifier(net::any_io_executor executor,
           receiver_config receiver,
           receiver_context context,
           send_function send,
           delivery_queue::random_source random,
           clock_function clock = {},
           log_function log = {},
           steady_clock_function steady = {});

  /// Queues a notification (drops of the oldest are counted and logged) and wakes the loop.
  void enqueue(notification note);

  /// Delivers until stop(). A request in progress finishes (or is cancelled through the
  /// coroutine's cancellation slot) before run() returns.
  net::awaitable<void> run();
  void stop();
  /// The receiver left the config: run() keeps delivering what is queued (enqueue() still
  /// works, for resolves caused by the same reload) and returns once the queue is empty; what
  /// is left at `deadline` is dropped, counted and logged.
  void retire(steady_time deadline);
  /// Gives up on everything queued (counted dropped, each one logged with `why`).
  void drop_all(std::string_view why);

  /// Applies a reloaded receiver config with the same name (limits, URL, secret); the next
  /// request uses it. TLS settings and the timeout live in the sender (the owner swaps it).
  void reconfigure(receiver_config receiver, receiver_context context);

  [[nodiscard]] const receiver_config& receiver() const noexcept { return receiver_; }
  [[nodiscard]] const std::string& name() const noexcept { return receiver_.name; }
  delivery_queue& queue() noexcept { return queue_; }
  [[nodiscard]] const delivery_queue& queue() const noexcept { return queue_; }
  [[nodiscard]] const delivery_counters& counters() const noexcept { return queue_.counters(); }
  [[nodiscard]] std::size_t depth() const noexcept { return queue_.size(); }

 private:
  void log_dropped(const std::vector<queued_notification>& dropped, std::string_view why);
  /// Logs `msg` about `note`: the receiver, route, rule and event, then `more`.
  void log(int level,
           std::string_view msg,
           const notification& note,
           std::vector<std::pair<std::string, std::string>> more);

  receiver_config receiver_;
  receiver_context context_;
  send_function send_;
  clock_function clock_;
  steady_clock_function steady_;
  log_function log_;
  delivery_queue queue_;
  net::steady_timer timer_;
  bool stopping_ = false;
  std::optional<steady_time> retire_deadline_;
};

/// Sends through an http_client (the production sender). The client must outlive the notifier.
inline notifier::send_function send_with(http_client& client) {
  return [&client](http_request request) { return client.send(std::move(request)); };
}

}  // namespace visionwatch
