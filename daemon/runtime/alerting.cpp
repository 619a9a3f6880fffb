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
  // Receivers answer with small bodies; we read only the status.
  o.body_limit = std::size_t{256} * 1024;
  return o;
}

bool same_client(const client_options& a, const client_options& b) {
  return a.total_timeout == b.total_timeout && a.connect_timeout == b.connect_timeout &&
         a.tls.ca_file == b.tls.ca_file && a.tls.insecure_skip_verify == b.tls.insecure_skip_verify;
}

// Sends through whichever client the receiver has now; the request keeps its client alive, so
// a reload may swap the client (TLS or timeout changed) while a request is in flight.
net::awaitable<http_result> send_through(std::shared_ptr<http_client> client,
                                         http_request request) {
  co_return co_await client->send(std::move(request));
}

/// How long a receiver removed by a reload keeps delivering what it had queued.
std::chrono::milliseconds drain_window(const receiver_config& r) {
  return std::clamp<std::chrono::milliseconds>(
      r.timeout * 3, std::chrono::seconds(2), std::chrono::seconds(60));
}

}  // namespace

struct alerting::receiver_entry {
  /// The current client; the sender reads it at each request.
  std::shared_ptr<std::shared_ptr<http_client>> client =
      std::make_shared<std::shared_ptr<http_client>>();
  client_options options;
  std::unique_ptr<notifier> n;
  delivery_counters synced;
  std::shared_ptr<net::cancellation_signal> sig = std::make_shared<net::cancellation_signal>();
  std::shared_ptr<bool> running = std::make_shared<bool>(false);
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
      context_{cfg.global.alert_labels(), cfg.global.public_url},
      store_(resolve_state_dir(cfg.global)) {
  router_ = std::make_unique<alert_router>(
      cfg.receivers, [this](const std::string& receiver, const notification& note) {
        if (const auto it = receivers_.find(receiver); it != receivers_.end()) {
          it->second->n->enqueue(note);
          return;
        }
        // A rule naming a receiver that is not configured: never silently.
        log_event(spdlog::level::err,
                  "notification dropped",
                  {{"receiver", receiver},
                   {"route", note.route},
                   {"rule", std::string(to_string(note.rule))},
                   {"event", std::string(to_string(note.kind))},
                   {"fingerprint", note.fingerprint},
                   {"why", "no such receiver"}});
        metrics_.notification(receiver, notification_result::dropped);
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
  return route_identity{r.name, r.model, r.gateway, url, cfg_->global.alert_labels()};
}

void alerting::spawn_receiver(receiver_entry& e) {
  ++running_;
  *e.running = true;
  net::co_spawn(executor_,
                e.n->run(),
                net::bind_cancellation_slot(e.sig->slot(),
                                            [this, running = e.running](std::exception_ptr ex) {
                                              --running_;
                                              *running = false;
                                              rethrow_on_error(ex);
                                            }));
}

void alerting::add_receiver(const receiver_config& r) {
  auto e = std::make_unique<receiver_entry>();
  e->options = receiver_client(r);
  *e->client = std::make_shared<http_client>(executor_, e->options);
  auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
  e->n = std::make_unique<notifier>(
      executor_,
      r,
      context_,
      [holder = e->client](http_request request) {
        return send_through(*holder, std::move(request));
      },
      [rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(*rng); },
      notifier::clock_function{},
      [](int level, std::string_view msg, const log_fields& fields) {
        log_event(level, msg, fields);
      });
  metrics_.add_receiver(r.name);
  receivers_.emplace(r.name, std::move(e));
}

saved_baselines alerting::start() {
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
  // Pending notifications first: resolves found by the reconciliation below queue behind them.
  const auto queues = store_.section("notifications");
  for (auto& [name, e] : receivers_) {
    if (queues.is_object() && queues.contains(name)) {
      if (const auto err =
              e->n->queue().restore(queues[name], std::chrono::steady_clock::now(), now);
          !err.empty()) {
        spdlog::warn("restoring pending notifications of {}: {}", name, err);
      } else if (e->n->depth() > 0) {
        spdlog::info(
            "receiver {}: {} pending notification(s) from before the restart", name, e->n->depth());
      }
    }
  }
  if (queues.is_object()) {
    drop_orphaned_queues(queues);
  }
  if (const auto alerts = store_.section("alerts"); !alerts.is_null()) {
    // null: first start, nothing saved yet. Saved state meets today's config the way a reload
    // does: a firing route or rule that left the config while the daemon was stopped gets its
    // resolve now.
    std::vector<alert_event> events;
    for (const auto& problem : router_->restore(alerts, now, &events)) {
      spdlog::warn("restoring alert state: {}", problem);
    }
    log_events(events);
    for (const auto& r : cfg_->routes) {
      router_->set_route_shapes(r.name, r.settings.shapes);  // shapes dropped while stopped
    }
  }
  // The file holds the silences of the last run; config silences come from today's config.
  for (const auto& problem : router_->silences().replace_config_silences(cfg_->silences, now)) {
    spdlog::warn("silences: {}", problem);
  }
  auto baselines = read_saved_baselines(store_.section("baselines"));
  for (auto& [name, e] : receivers_) {
    spawn_receiver(*e);
  }
  return baselines;
}

void alerting::apply(const config& cfg) {
  alert_series_synced_.clear();  // rules may have been reset, alert series removed
  cfg_ = &cfg;
  context_ = receiver_context{cfg.global.alert_labels(), cfg.global.public_url};
  // 1. Receivers: new ones start, kept ones take their new settings (URL and secret in the
  //    notifier, TLS and timeout in a new client).
  std::vector<receiver_config> audience = cfg.receivers;
  for (const auto& r : cfg.receivers) {
    const auto it = receivers_.find(r.name);
    if (it == receivers_.end()) {
      add_receiver(r);
      spawn_receiver(*receivers_.at(r.name));
      continue;
    }
    auto& e = *it->second;
    e.n->reconfigure(r, context_);
    if (const auto o = receiver_client(r); !same_client(o, e.options)) {
      try {
        *e.client = std::make_shared<http_client>(executor_, o);
        e.options = o;
      } catch (const std::exception& ex) {
        spdlog::error("receiver {}: keeping the previous TLS settings: {}", r.name, ex.what());
      }
    }
  }
  for (const auto& [name, e] : receivers_) {
    if (std::none_of(cfg.receivers.begin(), cfg.receivers.end(), [&](const auto& r) {
          return r.name == name;
        })) {
      audience.push_back(e->n->receiver());
    }
  }
  // 2. Routes, while receivers about to leave still listen: the resolves this reload causes go
  //    to the receivers that had the firing.
  router_->set_receivers(audience);
  const auto now = wall_clock::now();
  std::vector<std::string> names;
  std::vector<alert_event> events;
  for (const auto& r : cfg.routes) {
    names.push_back(r.name);
    auto e = router_->set_route(identity(r), r.settings.alerts, now);
    router_->set_route_shapes(r.name, r.settings.shapes);
    events.insert(events.end(), e.begin(), e.end());
  }
  auto gone = router_->retain_routes(names, now);
  events.insert(events.end(), gone.begin(), gone.end());
  log_events(events);
  router_->set_receivers(cfg.receivers);
  // 3. Removed receivers deliver what they hold (within their drain window), then retire.
  for (auto it = receivers_.begin(); it != receivers_.end();) {
    if (std::any_of(cfg.receivers.begin(), cfg.receivers.end(), [&](const auto& r) {
          return r.name == it->first;
        })) {
      ++it;
      continue;
    }
    const auto& rc = it->second->n->receiver();
    if (it->second->n->depth() > 0) {
      spdlog::info("receiver {} removed: delivering its {} pending notification(s) first",
                   it->first,
                   it->second->n->depth());
    }
    it->second->n->retire(std::chrono::steady_clock::now() + drain_window(rc));
    retired_.push_back(std::move(it->second));
    it = receivers_.erase(it);
  }
  for (const auto& problem : router_->silences().replace_config_silences(cfg.silences, now)) {
    spdlog::warn("silences: {}", problem);
  }
}

void alerting::log_events(const std::vector<alert_event>& events) {
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
}

void alerting::drop_orphaned_queues(const nlohmann::json& queues) {
  for (const auto& [name, saved] : queues.items()) {
    if (receivers_.contains(name)) {
      continue;
    }
    // The receiver left the config while the daemon was stopped: its URL is gone, so what it
    // held cannot be sent. Counted and logged, never lost silently.
    delivery_queue q(delivery_policy{}, [] { return 0.5; });
    if (const auto err = q.restore(saved, std::chrono::steady_clock::now(), wall_clock::now());
        !err.empty()) {
      spdlog::warn("pending notifications of removed receiver {}: {}", name, err);
      continue;
    }
    for (const auto& d : q.drop_all()) {
      log_event(spdlog::level::err,
                "notification dropped",
                {{"receiver", name},
                 {"route", d.note.route},
                 {"rule", std::string(to_string(d.note.rule))},
                 {"event", std::string(to_string(d.note.kind))},
                 {"fingerprint", d.note.fingerprint},
                 {"why", "receiver removed from the config while the daemon was stopped"}});
      metrics_.notification(name, notification_result::dropped);
    }
  }
}

void alerting::refresh_alertmanager() { router_->refresh_alertmanager(wall_clock::now()); }

bool alerting::on_probe(const probe_result& r, const window_figures& f) {
  const auto now = wall_clock::now();
  router_->silences().expire(now);
  const auto events = router_->on_probe(r, f, now);
  log_events(events);
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

namespace {

/// Pending: not firing, but counting failed evaluations toward the rule's threshold.
bool counting(const rule_status& s) noexcept {
  return s.state != alert_state::firing && s.bad_streak > 0;
}

}  // namespace

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
    v.pending = counting(s);
    if (s.state == alert_state::firing) {
      v.since = s.starts_at;
    }
    out.push_back(std::move(v));
  }
  return out;
}

std::unordered_map<std::string_view, alert_level> alerting::levels() const {
  std::unordered_map<std::string_view, alert_level> out;
  const auto now = wall_clock::now();
  for (const auto& [route, engine] : router_->routes()) {
    bool firing = false;
    bool pending = false;
    engine.for_each_status([&firing, &pending](const rule_status& s) {
      firing = firing || s.state == alert_state::firing;
      pending = pending || counting(s);
    });
    if (firing || pending) {
      out.emplace(
          route,
          alert_level_of(firing, pending, firing && router_->silences().is_silenced(route, now)));
    }
  }
  return out;
}

void alerting::sync_metrics() {
  auto sync = [this](const std::string& name, receiver_entry& e) {
    const auto& c = e.n->counters();
    auto push = [&](std::uint64_t now_value, std::uint64_t& synced, notification_result result) {
      for (; synced < now_value; ++synced) {
        metrics_.notification(name, result);
      }
    };
    push(c.success, e.synced.success, notification_result::success);
    push(c.retry, e.synced.retry, notification_result::retry);
    push(c.failed, e.synced.failed, notification_result::failed);
    push(c.dropped, e.synced.dropped, notification_result::dropped);
  };
  for (auto& [name, e] : receivers_) {
    sync(name, *e);
    metrics_.set_queue_depth(name, e->n->depth());
  }
  // Retired receivers count until their drain ends. Their series stay, with the final counts
  // (drops included), until a restart: a scrape after the reload still sees what was lost.
  std::erase_if(retired_, [&](std::unique_ptr<receiver_entry>& e) {
    const auto name = e->n->name();
    sync(name, *e);
    if (!receivers_.contains(name)) {
      metrics_.set_queue_depth(name, e->n->depth());
    }
    return !*e->running;
  });
}

nlohmann::json alerting::silences_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : router_->silences().list()) {
    out.push_back(silence_json(
        s, {"starts_at", format_rfc3339(s.starts_at)}, {"until", format_rfc3339(s.until)}));
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
    return {std::nullopt, R"("route" (a route name, or "*") is required)"};
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
    // Capped before the addition: a huge duration would overflow the clock (the store refuses
    // anything over its maximum with a clear message).
    until = saturating_add(now, *d);
  } else {
    return {std::nullopt, R"(give "until" (RFC 3339) or "duration" (e.g. 2h))"};
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

bool alerting::save(const saved_baselines& baselines) {
  store_.set_section("alerts", router_->to_json());
  nlohmann::json queues = nlohmann::json::object();
  const auto steady_now = std::chrono::steady_clock::now();
  const auto wall_now = wall_clock::now();
  for (const auto& [name, e] : receivers_) {
    queues[name] = e->n->queue().to_json(steady_now, wall_now);
  }
  store_.set_section("notifications", queues);
  store_.set_section_text("baselines", baselines_json_text(baselines));
  if (const auto err = store_.save(wall_clock::now()); !err.empty()) {
    spdlog::error("saving state to {}: {}", store_.file().string(), err);
    return false;
  }
  return true;
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
  // A receiver removed by a reload has no place in the state file: what it still holds is
  // dropped, counted and logged.
  for (auto& e : retired_) {
    e->n->drop_all("daemon stopping before a removed receiver delivered it");
  }
  sync_metrics();
}

}  // namespace visionwatch
