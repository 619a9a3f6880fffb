#include "daemon/runtime/alerting.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdlib>
#include <random>

#include "daemon/config/config_values.hpp"
#include "probes/http_client.hpp"
#include "probes/logging.hpp"
#include "probes/utc_time.hpp"

namespace visionwatch {
namespace {

client_options receiver_client(const receiver_config& r) {
  client_options o;
  o.total_timeout = r.timeout;
  o.connect_timeout = std::min(r.timeout, o.connect_timeout);
  o.tls.ca_file = r.ca_file;
  o.tls.insecure_skip_verify = r.insecure_skip_verify;
  o.body_limit = 256 * 1024;  // receivers answer with small bodies; we read only the status
  return o;
}

}  // namespace

struct alerting::receiver_entry {
  std::shared_ptr<http_client> client;
  std::unique_ptr<notifier> n;
  delivery_counters synced;
  std::shared_ptr<net::cancellation_signal> sig = std::make_shared<net::cancellation_signal>();
};

std::filesystem::path resolve_state_dir(const global_config& global) {
  if (!global.state_dir.empty()) {
    return global.state_dir;
  }
  if (const char* s = std::getenv("STATE_DIRECTORY"); s != nullptr && *s != '\0') {
    std::string first(s);
    return first.substr(0, first.find(':'));  // systemd may list several
  }
  return "state";
}

alerting::alerting(net::any_io_executor executor, metrics& m, const config& cfg)
    : executor_(std::move(executor)),
      metrics_(m),
      cfg_(&cfg),
      context_{cfg.global.external_labels, cfg.global.public_url},
      store_(resolve_state_dir(cfg.global)) {
  router_ = std::make_unique<alert_router>(
      cfg.receivers, [this](const std::string& receiver, const notification& note) {
        if (const auto it = receivers_.find(receiver); it != receivers_.end()) {
          it->second->n->enqueue(note);
        }
      });
  for (const auto& r : cfg.receivers) {
    add_receiver(r);
  }
  const auto now = wall_clock::now();
  for (const auto& r : cfg.routes) {
    router_->set_route(identity(r), r.settings.alerts, now);
  }
  for (const auto& problem : router_->silences().replace_config_silences(cfg.silences, now)) {
    spdlog::warn("silences: {}", problem);
  }
}

alerting::~alerting() = default;

route_identity alerting::identity(const route_config& r) const {
  std::string url;
  if (!cfg_->global.public_url.empty()) {
    url = cfg_->global.public_url;
    if (url.back() != '/') {
      url += '/';
    }
    url += "#" + r.name;
  }
  return route_identity{r.name, r.model, r.gateway, url};
}

void alerting::spawn_receiver(receiver_entry& e) {
  ++running_;
  net::co_spawn(executor_,
                e.n->run(),
                net::bind_cancellation_slot(e.sig->slot(), [this](std::exception_ptr ex) {
                  --running_;
                  rethrow_on_error(ex);
                }));
}

void alerting::add_receiver(const receiver_config& r) {
  auto e = std::make_unique<receiver_entry>();
  e->client = std::make_shared<http_client>(executor_, receiver_client(r));
  auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
  e->n = std::make_unique<notifier>(
      executor_,
      r,
      context_,
      send_with(*e->client),
      [rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(*rng); },
      notifier::clock_function{},
      [](int level, std::string_view msg, const log_fields& fields) {
        log_event(level, msg, fields);
      });
  metrics_.add_receiver(r.name);
  receivers_.emplace(r.name, std::move(e));
}

std::map<std::string, std::pair<long long, wall_time>> alerting::start() {
  const auto now = wall_clock::now();
  std::error_code ec;
  std::filesystem::create_directories(store_.directory(), ec);
  if (ec) {
    spdlog::error("state directory {}: {}; alert state will not survive a restart",
                  store_.directory().string(),
                  ec.message());
  }
  const auto report = store_.load(now);
  if (!report.error.empty()) {
    spdlog::error("state file {}: {}{}; starting with a clean state",
                  store_.file().string(),
                  report.error,
                  report.moved_to ? " (set aside as " + report.moved_to->string() + ")" : "");
  }
  if (!store_.section("alerts").is_null()) {  // null: first start, nothing saved yet
    for (const auto& problem : router_->restore(store_.section("alerts"))) {
      spdlog::warn("restoring alert state: {}", problem);
    }
  }
  const auto& queues = store_.section("notifications");
  for (auto& [name, e] : receivers_) {
    if (queues.is_object() && queues.contains(name)) {
      if (const auto err = e->n->queue().restore(queues[name]); !err.empty()) {
        spdlog::warn("restoring pending notifications of {}: {}", name, err);
      } else if (e->n->depth() > 0) {
        spdlog::info(
            "receiver {}: {} pending notification(s) from before the restart", name, e->n->depth());
      }
    }
  }
  std::map<std::string, std::pair<long long, wall_time>> baselines;
  const auto& b = store_.section("baselines");
  if (b.is_object()) {
    for (const auto& [route, v] : b.items()) {
      if (v.is_object() && v.contains("prompt_tokens") && v["prompt_tokens"].is_number_integer() &&
          v.contains("at") && v["at"].is_number_integer()) {
        baselines[route] = {v["prompt_tokens"].get<long long>(),
                            wall_time(std::chrono::seconds(v["at"].get<long long>()))};
      }
    }
  }
  for (auto& [name, e] : receivers_) {
    spawn_receiver(*e);
  }
  return baselines;
}

void alerting::apply(const config& cfg) {
  alert_series_synced_.clear();  // rules may have been reset, alert series removed
  cfg_ = &cfg;
  context_ = receiver_context{cfg.global.external_labels, cfg.global.public_url};
  router_->set_receivers(cfg.receivers);
  std::map<std::string, bool, std::less<>> keep;
  for (const auto& r : cfg.receivers) {
    keep[r.name] = true;
    if (const auto it = receivers_.find(r.name); it != receivers_.end()) {
      it->second->n->reconfigure(r, context_);
      continue;
    }
    add_receiver(r);
    spawn_receiver(*receivers_.at(r.name));
  }
  for (auto it = receivers_.begin(); it != receivers_.end();) {
    if (keep.contains(it->first)) {
      ++it;
      continue;
    }
    it->second->n->stop();
    metrics_.remove_receiver(it->first);
    retired_.push_back(std::move(it->second));
    it = receivers_.erase(it);
  }
  const auto now = wall_clock::now();
  std::vector<std::string> names;
  for (const auto& r : cfg.routes) {
    names.push_back(r.name);
    router_->set_route(identity(r), r.settings.alerts, now);
  }
  router_->retain_routes(names, now);
  for (const auto& problem : router_->silences().replace_config_silences(cfg.silences, now)) {
    spdlog::warn("silences: {}", problem);
  }
}

void alerting::refresh_alertmanager() { router_->refresh_alertmanager(wall_clock::now()); }

bool alerting::on_probe(const probe_result& r, const window_figures& f) {
  const auto now = wall_clock::now();
  router_->silences().expire(now);
  const auto events = router_->on_probe(r, f, now);
  for (const auto& ev : events) {
    const auto& n = ev.note;
    log_event(n.kind == notification_kind::resolved ? spdlog::level::info : spdlog::level::warn,
              "alert",
              {{"route", n.route},
               {"rule", std::string(to_string(n.rule))},
               {"kind", std::string(to_string(n.kind))},
               {"severity", n.severity},
               {"silenced", ev.suppressed ? "true" : "false"},
               {"reason", n.reason}});
  }
  // visionwatch_alerts_firing changes only with an event (silenced ones included); the first
  // probe of a route, and the first after a reload, create or reset its series.
  if (!events.empty() || alert_series_synced_.insert(r.route).second) {
    if (const auto* engine = router_->route(r.route)) {
      for (const auto& s : engine->statuses()) {
        metrics_.set_alert_firing(r.route, to_string(s.kind), s.state == alert_state::firing);
      }
    }
  }
  return !events.empty();
}

std::vector<alert_view> alerting::views(std::string_view route) const {
  std::vector<alert_view> out;
  const auto* engine = router_->route(route);
  if (engine == nullptr) {
    return out;
  }
  const bool silenced = router_->silences().is_silenced(route, wall_clock::now());
  for (const auto& s : engine->statuses()) {
    alert_view v;
    v.rule = std::string(to_string(s.kind));
    v.state = std::string(to_string(s.state));
    v.silenced = silenced;
    if (s.state == alert_state::firing) {
      v.since = s.starts_at;
    }
    out.push_back(std::move(v));
  }
  return out;
}

void alerting::sync_metrics() {
  for (auto& [name, e] : receivers_) {
    const auto& c = e->n->counters();
    auto push = [&](std::uint64_t now_value, std::uint64_t& synced, notification_result result) {
      for (; synced < now_value; ++synced) {
        metrics_.notification(name, result);
      }
    };
    push(c.success, e->synced.success, notification_result::success);
    push(c.retry, e->synced.retry, notification_result::retry);
    push(c.failed, e->synced.failed, notification_result::failed);
    push(c.dropped, e->synced.dropped, notification_result::dropped);
    metrics_.set_queue_depth(name, e->n->depth());
  }
}

nlohmann::json alerting::silences_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : router_->silences().list()) {
    out.push_back({{"id", s.id},
                   {"route", s.route},
                   {"starts_at", format_rfc3339(s.starts_at)},
                   {"until", format_rfc3339(s.until)},
                   {"comment", s.comment},
                   {"source", s.source == silence_source::config ? "config" : "api"}});
  }
  return out;
}

std::pair<std::optional<nlohmann::json>, std::string> alerting::add_silence(
    const nlohmann::json& body) {
  if (!body.is_object()) {
    return {std::nullopt, "the body must be a JSON object"};
  }
  if (!body.contains("route") || !body["route"].is_string() ||
      body["route"].get<std::string>().empty()) {
    return {std::nullopt, "\"route\" (a route name, or \"*\") is required"};
  }
  const auto route = body["route"].get<std::string>();
  const bool known = route == "*" || std::any_of(cfg_->routes.begin(),
                                                 cfg_->routes.end(),
                                                 [&](const auto& r) { return r.name == route; });
  if (!known) {
    return {std::nullopt, "no route named '" + route + "'"};
  }
  const auto now = wall_clock::now();
  wall_time until{};
  if (body.contains("until") && body["until"].is_string()) {
    const auto t = parse_rfc3339(body["until"].get<std::string>());
    if (!t) {
      return {std::nullopt, "\"until\" is not an RFC 3339 time (e.g. 2026-12-01T00:00:00Z)"};
    }
    until = *t;
  } else if (body.contains("duration") && body["duration"].is_string()) {
    const auto d = parse_duration(body["duration"].get<std::string>());
    if (!d) {
      return {std::nullopt, "\"duration\" is not a duration (use 30m, 2h)"};
    }
    // The clock counts nanoseconds in 64 bits; a duration of centuries would overflow it.
    if (*d >= std::chrono::floor<std::chrono::milliseconds>(wall_time::max() - now)) {
      return {std::nullopt, "\"duration\" is too long"};
    }
    until = now + *d;
  } else {
    return {std::nullopt, "give \"until\" (RFC 3339) or \"duration\" (e.g. 2h)"};
  }
  std::string comment;
  if (body.contains("comment")) {
    if (!body["comment"].is_string()) {
      return {std::nullopt, "\"comment\" must be a string"};
    }
    comment = body["comment"].get<std::string>();
  }
  auto res = router_->silences().add(route, until, comment, now);
  if (!res.value) {
    return {std::nullopt, res.error};
  }
  const auto& s = *res.value;
  return {nlohmann::json{{"id", s.id},
                         {"route", s.route},
                         {"starts_at", format_rfc3339(s.starts_at)},
                         {"until", format_rfc3339(s.until)},
                         {"comment", s.comment},
                         {"source", "api"}},
          {}};
}

bool alerting::remove_silence(std::string_view id) { return router_->silences().remove(id); }

std::size_t alerting::queued() const {
  std::size_t n = 0;
  for (const auto& [name, e] : receivers_) {
    n += e->n->queue().size();
  }
  return n;
}

void alerting::save(const std::map<std::string, std::pair<long long, wall_time>>& baselines) {
  store_.set_section("alerts", router_->to_json());
  nlohmann::json queues = nlohmann::json::object();
  for (const auto& [name, e] : receivers_) {
    queues[name] = e->n->queue().to_json();
  }
  store_.set_section("notifications", std::move(queues));
  nlohmann::json b = nlohmann::json::object();
  for (const auto& [route, v] : baselines) {
    b[route] = {
        {"prompt_tokens", v.first},
        {"at",
         std::chrono::duration_cast<std::chrono::seconds>(v.second.time_since_epoch()).count()}};
  }
  store_.set_section("baselines", std::move(b));
  if (const auto err = store_.save(wall_clock::now()); !err.empty()) {
    spdlog::error("saving state to {}: {}", store_.file().string(), err);
  }
}

net::awaitable<void> alerting::stop(std::chrono::milliseconds grace) {
  for (auto& [name, e] : receivers_) {
    e->n->stop();
  }
  for (auto& e : retired_) {
    e->n->stop();
  }
  net::steady_timer t(executor_);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  // Bounded wait for the notifier loops to notice stop(); a request in progress may finish.
  while (running_ > 0 && std::chrono::steady_clock::now() < deadline) {
    t.expires_after(std::chrono::milliseconds(20));
    co_await t.async_wait(use_nothrow);
  }
  if (running_ > 0) {
    for (auto& [name, e] : receivers_) {
      e->sig->emit(net::cancellation_type::terminal);
    }
    for (auto& e : retired_) {
      e->sig->emit(net::cancellation_type::terminal);
    }
    const auto hard = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (running_ > 0 && std::chrono::steady_clock::now() < hard) {
      t.expires_after(std::chrono::milliseconds(20));
      co_await t.async_wait(use_nothrow);
    }
  }
}

}  // namespace visionwatch
