#pragma once
/// The pending notifications of one receiver, sans-io: the notifier asks what is due, sends it,
/// and reports the verdict back; the queue decides retries (exponential backoff with jitter,
/// Retry-After honoured), gives up (max_attempts, max_age, permanent errors) and drops the
/// oldest entry when full. One request is in flight at a time (one notification, or a batch of
/// the due head for a batching receiver), so delivery keeps order. Every entry that leaves
/// without delivery is counted (failed or dropped) and returned to the caller to log.
/// Time and randomness are injected. Scheduling (retries, max_age, next_due) runs on the steady
/// clock so a wall-clock step (NTP, suspend) neither bursts nor stalls retries; wall time is
/// only stamped where it is shown or sent (the message id, the persisted form). Serialisable
/// so pending notifications survive a restart. Not thread-safe: one owner.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "alerts/alert_config.hpp"
#include "alerts/notification.hpp"
#include "alerts/receivers.hpp"

namespace visionwatch {

/// The clock retries are scheduled on: monotonic, unaffected by wall-clock steps.
using steady_time = std::chrono::steady_clock::time_point;

struct delivery_policy {
  std::size_t capacity = 1000;
  int max_attempts = 12;
  std::chrono::seconds max_age{24 * 3600};
  std::chrono::milliseconds min_backoff{1'000};
  std::chrono::milliseconds max_backoff{300'000};
  /// Notifications sent in one request (Alertmanager takes a JSON array of alerts).
  std::size_t batch_size = 1;
  /// A newer notification replaces a waiting one of the same alert (fingerprint): only the
  /// latest state matters to Alertmanager, so the queue holds one entry per alert and an outage
  /// of a whole gateway (every route firing) cannot overflow it.
  bool coalesce = false;

  static delivery_policy from(const receiver_config& receiver);
};

struct queued_notification {
  std::uint64_t id = 0;    ///< unique within this queue
  std::string message_id;  ///< the webhook-id: the same for every attempt of this message
  notification note;
  int attempts = 0;            ///< attempts made so far
  wall_time enqueued_at{};     ///< wall stamp, shown and persisted; never used to schedule
  steady_time queued_since{};  ///< steady time of (re)queueing: max_age counts from here
  steady_time not_before{};    ///< earliest next attempt
  std::string last_error;
};

/// What on_result() did with the message.
enum class delivery_outcome : std::uint8_t {
  delivered,
  retry_scheduled,
  failed,  ///< given up: permanent error, max_attempts or max_age
  stale,   ///< the id is no longer queued (dropped while in flight); nothing changed
};

/// Monotonic counters the daemon exports as notifications_total{receiver,result}.
struct delivery_counters {
  std::uint64_t success = 0;  ///< delivered
  std::uint64_t retry = 0;    ///< attempts that failed and will be retried
  std::uint64_t failed = 0;   ///< given up (permanent error, max_attempts or max_age)
  std::uint64_t dropped = 0;  ///< never sent: the queue was full or the receiver removed
};

class delivery_queue {
 public:
  /// Uniform in [0, 1): the jitter source (tests pass a constant).
  using random_source = std::function<double()>;

  delivery_queue(delivery_policy policy, random_source random);

  /// Queues `note`. A reminder or refresh replaces a waiting one of the same alert and kind
  /// (only the latest matters). When full, the oldest entry that is not a resolve is dropped
  /// (the oldest resolve when all are), not the new one. Returns the dropped entries.
  /// `wall` stamps the entry (message id, enqueued_at); `now` schedules it.
  std::vector<queued_notification> enqueue(notification note, steady_time now, wall_time wall);

  /// When take() will next return something: nullopt when empty or one is in flight.
  [[nodiscard]] std::optional<steady_time> next_due() const;

  /// The head, marked in flight, if it is due and nothing is in flight.
  std::optional<queued_notification> take(steady_time now);
  /// Up to policy().batch_size due entries from the head, in order, marked in flight together;
  /// empty when nothing is due or a request is in flight.
  std::vector<queued_notification> take_batch(steady_time now);

  /// The verdict for the message `id` handed out by take().
  delivery_outcome on_result(std::uint64_t id, const delivery_verdict& verdict, steady_time now);
  /// The verdict for a batch handed out by take_batch(): applied to each entry still queued
  /// (retries keep the entries at the head, together). Stale when none is.
  delivery_outcome on_result(const std::vector<std::uint64_t>& ids,
                             const delivery_verdict& verdict,
                             steady_time now);
  /// Gives up on every entry (counted dropped): a receiver removed by a reload that could not
  /// deliver before its drain deadline, or one retired at shutdown. Returns them to log.
  std::vector<queued_notification> drop_all();

  /// Gives up (counted failed) on waiting entries older than max_age; returns them.
  std::vector<queued_notification> expire(steady_time now);

  /// The delay before attempt `attempts + 1` without Retry-After (jitter applied).
  std::chrono::milliseconds backoff(int attempts);

  [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
  [[nodiscard]] bool empty() const noexcept { return items_.empty(); }
  [[nodiscard]] bool in_flight() const noexcept { return !in_flight_.empty(); }
  [[nodiscard]] const std::deque<queued_notification>& items() const noexcept { return items_; }
  [[nodiscard]] const delivery_counters& counters() const noexcept { return counters_; }
  [[nodiscard]] const delivery_policy& policy() const noexcept { return policy_; }
  /// A reload may change limits; a smaller capacity drops the oldest entries (returned).
  std::vector<queued_notification> set_policy(delivery_policy policy);

  /// Pending entries (an in-flight one counts as pending: it is sent again after a restart).
  /// Steady times are saved as wall epochs relative to (`now`, `wall`): the only clock that
  /// spans a restart.
  [[nodiscard]] nlohmann::json to_json(steady_time now, wall_time wall) const;
  /// Replaces the content with a saved one; on a malformed document the queue is left empty and
  /// the error returned (empty on success). Saved times are mapped back onto the steady clock
  /// at (`now`, `wall`), clamped: a next attempt at most max_backoff away, an age between 0
  /// and max_age (a wall clock that stepped across the restart cannot stall or expire all).
  std::string restore(const nlohmann::json& j, steady_time now, wall_time wall);

 private:
  std::optional<queued_notification> drop_one();
  [[nodiscard]] bool flying(std::uint64_t id) const noexcept;

  delivery_policy policy_;
  random_source random_;
  std::deque<queued_notification> items_;
  std::vector<std::uint64_t> in_flight_;  ///< ids of the request in flight (head entries)
  std::uint64_t next_id_ = 1;
  delivery_counters counters_;
};

}  // namespace visionwatch
