#include "alerts/notifier.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/this_coro.hpp>
#include <iterator>

#include "probes/logging.hpp"

namespace visionwatch {

notifier::notifier(net::any_io_executor executor,
                   receiver_config receiver,
                   receiver_context context,
                   send_function send,
                   delivery_queue::random_source random,
                   clock_function clock,
                   log_function log,
                   steady_clock_function steady)
    : receiver_(std::move(receiver)),
      context_(std::move(context)),
      send_(std::move(send)),
      clock_(clock ? std::move(clock) : clock_function([] { return wall_clock::now(); })),
      steady_(steady ? std::move(steady)
                     : steady_clock_function([] { return std::chrono::steady_clock::now(); })),
      log_(std::move(log)),
      queue_(delivery_policy::from(receiver_), std::move(random)),
      timer_(executor) {
  if (auto problem = check_receiver(receiver_); !problem.empty()) {
    throw std::invalid_argument(problem);
  }
  if (!send_) {
    throw std::invalid_argument("receiver '" + receiver_.name + "': no sender");
  }
}

void notifier::log(int level,
                   std::string_view msg,
                   const notification& note,
                   std::vector<std::pair<std::string, std::string>> more) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"receiver", receiver_.name},
      {"route", note.route},
      {"rule", std::string(to_string(note.rule))},
      {"event", std::string(to_string(note.kind))}};
  fields.insert(
      fields.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  if (log_) {
    log_(level, msg, fields);
    return;
  }
  log_event(level, msg, fields);
}

void notifier::log_dropped(const std::vector<queued_notification>& dropped, std::string_view why) {
  for (const auto& d : dropped) {
    log(spdlog::level::warn,
        "notification dropped",
        d.note,
        {{"fingerprint", d.note.fingerprint}, {"why", std::string(why)}});
  }
}

void notifier::enqueue(notification note) {
  log_dropped(queue_.enqueue(std::move(note), steady_(), clock_()), "queue full (queue_size)");
  timer_.cancel();
}

void notifier::stop() {
  stopping_ = true;
  timer_.cancel();
}

void notifier::retire(steady_time deadline) {
  retire_deadline_ = deadline;
  timer_.cancel();
}

void notifier::drop_all(std::string_view why) { log_dropped(queue_.drop_all(), why); }

void notifier::reconfigure(receiver_config receiver, receiver_context context) {
  if (auto problem = check_receiver(receiver); !problem.empty()) {
    throw std::invalid_argument(problem);
  }
  receiver_ = std::move(receiver);
  context_ = std::move(context);
  log_dropped(queue_.set_policy(delivery_policy::from(receiver_)), "queue_size reduced");
  timer_.cancel();
}

net::awaitable<void> notifier::run() {
  // Cancellation is edge-triggered: one emitted while a request was in flight would not
  // interrupt the next timer wait, so the state is checked on every turn.
  auto cancelled = [](net::cancellation_state state) {  // a handle: cheap to copy
    return state.cancelled() != net::cancellation_type::none;
  };
  while (!stopping_ && !cancelled(co_await net::this_coro::cancellation_state)) {
    const auto now = steady_();
    for (const auto& e : queue_.expire(now)) {
      log(spdlog::level::err,
          "notification failed",
          e.note,
          {{"attempts", std::to_string(e.attempts)},
           {"error",
            "older than max_age" + (e.last_error.empty() ? "" : "; last: " + e.last_error)}});
    }
    if (retire_deadline_ && queue_.empty()) {
      break;  // a retired receiver delivered everything
    }
    if (retire_deadline_ && now >= *retire_deadline_) {
      drop_all("receiver removed by a reload; not delivered before its drain deadline");
      break;
    }
    if (auto batch = queue_.take_batch(now); !batch.empty()) {
      const auto& item = batch.front();
      std::vector<std::uint64_t> ids;
      std::vector<notification> notes;
      for (const auto& q : batch) {
        ids.push_back(q.id);
        notes.push_back(q.note);
      }
      const auto sent_at = clock_();
      auto request = batch.size() == 1
                         ? format_request(receiver_, item.note, context_, item.message_id, sent_at)
                         : format_alertmanager_batch(receiver_, notes, context_, sent_at);
      auto result = co_await send_(std::move(request));
      // Retry-After dates are read against the wall clock; the retry is scheduled on steady.
      auto verdict = classify_response(result, clock_());
      const auto after = steady_();
      // Receiver replies may echo the routing key or the webhook URL's token.
      verdict.reason = receiver_redactor(receiver_).redact(verdict.reason);
      const auto outcome = queue_.on_result(ids, verdict, after);
      std::vector<std::pair<std::string, std::string>> fields = {
          {"attempt", std::to_string(item.attempts + 1)}, {"result", verdict.reason}};
      if (batch.size() > 1) {
        fields.emplace_back("batch", std::to_string(batch.size()));
      }
      switch (outcome) {
        case delivery_outcome::delivered:
          log(spdlog::level::info, "notification delivered", item.note, std::move(fields));
          break;
        case delivery_outcome::retry_scheduled:
          log(spdlog::level::warn,
              "notification delivery failed, will retry",
              item.note,
              std::move(fields));
          break;
        case delivery_outcome::failed:
          log(spdlog::level::err, "notification failed, giving up", item.note, std::move(fields));
          break;
        case delivery_outcome::stale:
          break;
      }
      continue;
    }
    // Nothing due: sleep until the head is due, or until enqueue()/stop() cancels the timer.
    auto delay = std::chrono::steady_clock::duration(std::chrono::hours(1));
    auto wake_at = queue_.next_due();
    if (retire_deadline_ && (!wake_at || *retire_deadline_ < *wake_at)) {
      wake_at = retire_deadline_;
    }
    if (wake_at) {
      delay = std::clamp<std::chrono::steady_clock::duration>(
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(*wake_at - now),
          std::chrono::milliseconds(1),
          std::chrono::hours(1));
    }
    timer_.expires_after(delay);
    auto [ec] = co_await timer_.async_wait(use_nothrow);
    (void)ec;  // operation_aborted: woken by enqueue(), stop() or cancellation of run()
  }
}

}  // namespace visionwatch
