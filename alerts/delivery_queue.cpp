#include "alerts/delivery_queue.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace visionwatch {

delivery_policy delivery_policy::from(const receiver_config& receiver) {
  delivery_policy p;
  p.capacity = std::max<std::size_t>(receiver.queue_size, 1);
  p.max_attempts = std::max(receiver.max_attempts, 1);
  p.max_age = receiver.max_age;
  p.min_backoff = std::max(receiver.min_backoff, std::chrono::milliseconds(1));
  p.max_backoff = std::max(receiver.max_backoff, p.min_backoff);
  if (receiver.kind == receiver_kind::alertmanager) {
    p.batch_size = 64;  // Prometheus sends up to 64 alerts per POST by default
    p.coalesce = true;
  }
  return p;
}

delivery_queue::delivery_queue(delivery_policy policy, random_source random)
    : policy_(policy), random_(std::move(random)) {
  policy_.capacity = std::max<std::size_t>(policy_.capacity, 1);
  if (!random_) {
    throw std::invalid_argument("delivery_queue needs a random source");
  }
}

bool delivery_queue::flying(std::uint64_t id) const noexcept {
  return std::find(in_flight_.begin(), in_flight_.end(), id) != in_flight_.end();
}

std::optional<queued_notification> delivery_queue::drop_one() {
  if (items_.empty()) {
    return std::nullopt;
  }
  // Oldest waiting non-resolve first: a lost resolve leaves an incident open downstream for
  // good, while a lost trigger or reminder is followed by later news about the same alert.
  auto pick = items_.end();
  for (auto it = items_.begin(); it != items_.end(); ++it) {
    if (flying(it->id)) {
      continue;
    }
    if (it->note.kind != notification_kind::resolved) {
      pick = it;
      break;
    }
    if (pick == items_.end()) {
      pick = it;
    }
  }
  if (pick == items_.end()) {
    pick = items_.begin();  // only the in-flight entry is left: its result will be stale
  }
  std::erase(in_flight_, pick->id);
  auto dropped = std::move(*pick);
  items_.erase(pick);
  ++counters_.dropped;
  return dropped;
}

std::vector<queued_notification> delivery_queue::enqueue(notification note,
                                                         steady_time now,
                                                         wall_time wall) {
  std::vector<queued_notification> dropped;
  if (note.kind == notification_kind::reminder || note.kind == notification_kind::refresh) {
    for (auto& item : items_) {
      if (!flying(item.id) && item.note.kind == note.kind &&
          item.note.fingerprint == note.fingerprint) {
        item.note = std::move(note);
        return dropped;
      }
    }
  }
  if (policy_.coalesce) {
    for (auto& item : items_) {
      if (!flying(item.id) && item.note.fingerprint == note.fingerprint) {
        item.note = std::move(note);
        item.enqueued_at = wall;  // fresh news: max_age and max_attempts start over
        item.queued_since = now;
        item.attempts = 0;
        return dropped;
      }
    }
  }
  while (items_.size() >= policy_.capacity) {
    if (auto d = drop_one()) {
      dropped.push_back(std::move(*d));
    }
  }
  queued_notification q;
  q.id = next_id_++;
  q.message_id = "msg_" + note.fingerprint + "_" + std::to_string(to_epoch_ms(wall)) + "_" +
                 std::to_string(q.id);
  q.note = std::move(note);
  q.enqueued_at = wall;
  q.queued_since = now;
  q.not_before = now;
  items_.push_back(std::move(q));
  return dropped;
}

std::optional<steady_time> delivery_queue::next_due() const {
  if (items_.empty() || !in_flight_.empty()) {
    return std::nullopt;
  }
  return items_.front().not_before;
}

std::optional<queued_notification> delivery_queue::take(steady_time now) {
  if (items_.empty() || !in_flight_.empty() || items_.front().not_before > now) {
    return std::nullopt;
  }
  in_flight_ = {items_.front().id};
  return items_.front();
}

std::vector<queued_notification> delivery_queue::take_batch(steady_time now) {
  std::vector<queued_notification> batch;
  if (!in_flight_.empty()) {
    return batch;
  }
  for (const auto& item : items_) {
    if (batch.size() >= std::max<std::size_t>(policy_.batch_size, 1) || item.not_before > now) {
      break;
    }
    batch.push_back(item);
    in_flight_.push_back(item.id);
  }
  return batch;
}

std::vector<queued_notification> delivery_queue::drop_all() {
  std::vector<queued_notification> dropped(std::make_move_iterator(items_.begin()),
                                           std::make_move_iterator(items_.end()));
  counters_.dropped += dropped.size();
  items_.clear();
  in_flight_.clear();
  return dropped;
}

std::chrono::milliseconds delivery_queue::backoff(int attempts) {
  const double base = static_cast<double>(policy_.min_backoff.count()) *
                      std::pow(2.0, std::clamp(attempts - 1, 0, 40));
  const double capped = std::min(base, static_cast<double>(policy_.max_backoff.count()));
  // Equal jitter: at least half the step, so the delay still grows, but peers spread out.
  const double r = std::clamp(random_(), 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(capped * (0.5 + 0.5 * r)));
}

delivery_outcome delivery_queue::on_result(std::uint64_t id,
                                           const delivery_verdict& verdict,
                                           steady_time now) {
  return on_result(std::vector<std::uint64_t>{id}, verdict, now);
}

delivery_outcome delivery_queue::on_result(const std::vector<std::uint64_t>& ids,
                                           const delivery_verdict& verdict,
                                           steady_time now) {
  std::optional<delivery_outcome> first;
  std::optional<std::chrono::milliseconds> delay;  // one backoff for the whole batch
  for (const auto id : ids) {
    if (!flying(id)) {
      continue;  // dropped while in flight, or not handed out
    }
    const auto it =
        std::find_if(items_.begin(), items_.end(), [&](const auto& q) { return q.id == id; });
    if (it == items_.end()) {
      continue;
    }
    auto& head = *it;
    ++head.attempts;
    head.last_error = verdict.reason;
    delivery_outcome outcome = delivery_outcome::delivered;
    if (verdict.status == delivery_status::delivered) {
      ++counters_.success;
    } else {
      bool give_up =
          verdict.status == delivery_status::permanent || head.attempts >= policy_.max_attempts;
      if (!give_up) {
        if (!delay) {
          delay = verdict.retry_after
                      ? std::chrono::duration_cast<std::chrono::milliseconds>(*verdict.retry_after)
                      : backoff(head.attempts);
        }
        head.not_before = now + *delay;
        give_up = head.not_before > head.queued_since + policy_.max_age;
      }
      outcome = give_up ? delivery_outcome::failed : delivery_outcome::retry_scheduled;
      ++(give_up ? counters_.failed : counters_.retry);
    }
    if (outcome != delivery_outcome::retry_scheduled) {
      items_.erase(it);
    }
    first = first.value_or(outcome);
  }
  in_flight_.clear();
  return first.value_or(delivery_outcome::stale);
}

std::vector<queued_notification> delivery_queue::expire(steady_time now) {
  std::vector<queued_notification> expired;
  for (auto it = items_.begin(); it != items_.end();) {
    if (!flying(it->id) && now >= it->queued_since + policy_.max_age) {
      expired.push_back(std::move(*it));
      it = items_.erase(it);
      ++counters_.failed;
    } else {
      ++it;
    }
  }
  return expired;
}

std::vector<queued_notification> delivery_queue::set_policy(delivery_policy policy) {
  policy_ = policy;
  policy_.capacity = std::max<std::size_t>(policy_.capacity, 1);
  std::vector<queued_notification> dropped;
  while (items_.size() > policy_.capacity) {
    if (auto d = drop_one()) {
      dropped.push_back(std::move(*d));
    }
  }
  return dropped;
}

nlohmann::json delivery_queue::to_json(steady_time now, wall_time wall) const {
  auto list = nlohmann::json::array();
  const auto as_wall = [&](steady_time t) {
    return wall + std::chrono::duration_cast<wall_clock::duration>(t - now);
  };
  for (const auto& q : items_) {
    list.push_back({{"id", q.id},
                    {"message_id", q.message_id},
                    {"note", q.note},
                    {"attempts", q.attempts},
                    {"enqueued_at_ms", to_epoch_ms(q.enqueued_at)},
                    {"queued_since_ms", to_epoch_ms(as_wall(q.queued_since))},
                    {"not_before_ms", to_epoch_ms(as_wall(q.not_before))},
                    {"last_error", q.last_error}});
  }
  return {{"next_id", next_id_}, {"items", std::move(list)}};
}

std::string delivery_queue::restore(const nlohmann::json& j, steady_time now, wall_time wall) {
  const auto wall_ms = to_epoch_ms(wall);
  const auto max_age_ms = std::chrono::duration_cast<std::chrono::milliseconds>(policy_.max_age);
  // A Retry-After may exceed max_backoff; nothing waits past max_age (it would give up).
  const auto max_wait_ms = std::max(policy_.max_backoff, max_age_ms);
  const auto steady_from =
      [&](std::int64_t saved_ms, std::chrono::milliseconds lo, std::chrono::milliseconds hi) {
        // Differences computed in 64 bits before the clamp: a saved time centuries away (or a
        // hostile state file) cannot overflow the steady clock.
        const auto delta = static_cast<long double>(saved_ms) - static_cast<long double>(wall_ms);
        const auto clamped = std::clamp(
            delta, static_cast<long double>(lo.count()), static_cast<long double>(hi.count()));
        return now + std::chrono::milliseconds(static_cast<std::int64_t>(clamped));
      };
  std::deque<queued_notification> loaded;
  std::uint64_t next_id = 1;
  try {
    next_id = j.at("next_id").get<std::uint64_t>();
    for (const auto& e : j.at("items")) {
      queued_notification q;
      q.id = e.at("id").get<std::uint64_t>();
      q.message_id = e.at("message_id").get<std::string>();
      q.note = e.at("note").get<notification>();
      q.attempts = e.at("attempts").get<int>();
      q.enqueued_at = from_epoch_ms(e.at("enqueued_at_ms").get<std::int64_t>());
      // Files saved before queued_since existed: the wall stamp is the same moment.
      const auto since_ms = e.contains("queued_since_ms")
                                ? e.at("queued_since_ms").get<std::int64_t>()
                                : e.at("enqueued_at_ms").get<std::int64_t>();
      q.queued_since = steady_from(since_ms, -max_age_ms, std::chrono::milliseconds(0));
      q.not_before = steady_from(
          e.at("not_before_ms").get<std::int64_t>(), std::chrono::milliseconds(0), max_wait_ms);
      q.last_error = e.at("last_error").get<std::string>();
      next_id = std::max(next_id, q.id + 1);
      loaded.push_back(std::move(q));
    }
  } catch (const std::exception& e) {
    items_.clear();
    in_flight_.clear();
    next_id_ = 1;
    return std::string("delivery queue: ") + e.what();
  }
  items_ = std::move(loaded);
  in_flight_.clear();
  next_id_ = next_id;
  // A smaller queue_size since the save: keep the newest entries.
  while (items_.size() > policy_.capacity) {
    drop_one();
  }
  return {};
}

}  // namespace visionwatch
