// A configuration becomes the running one in two phases: prepare() builds everything the new
// configuration needs (clients, images, metric labels, the gateway table, new route entries)
// without touching the running service, and may fail at any step; install() then swaps it in
// with operations that do not fail (it is noexcept: only running out of memory could stop it,
// and that ends the process rather than leaving half a configuration running). A failed reload
// therefore leaves the old configuration serving: same routes, same metrics, same clients.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <unordered_map>

#include "daemon/admin/admin_origin.hpp"
#include "daemon/admin/admin_server.hpp"
#include "daemon/config/config_capacity.hpp"
#include "daemon/runtime/alerting.hpp"
#include "daemon/runtime/sd_notify.hpp"
#include "daemon/runtime/service.hpp"
#include "daemon/runtime/service_parts.hpp"
#include "probes/text_util.hpp"

namespace visionwatch {
namespace {

using clock = std::chrono::steady_clock;

/// Settings that, when changed by a reload, need a new http_client for the gateway.
bool same_client(const gateway_config& a, const gateway_config& b) {
  const auto& x = a.client;
  const auto& y = b.client;
  return x.connect_timeout == y.connect_timeout && x.total_timeout == y.total_timeout &&
         x.body_limit == y.body_limit && x.header_limit == y.header_limit &&
         x.tls.ca_file == y.tls.ca_file && x.tls.server_name == y.tls.server_name &&
         x.tls.insecure_skip_verify == y.tls.insecure_skip_verify && x.proxy_url == y.proxy_url &&
         x.use_env_proxy == y.use_env_proxy && x.keep_alive == y.keep_alive;
}

/// Gateway name -> API flavour, built once per configuration: looking each route's gateway up
/// in the list would make preparing R routes over G gateways O(R x G).
using gateway_apis = std::unordered_map<std::string_view, api_flavour>;

gateway_apis apis_of(const config& cfg) {
  gateway_apis out;
  out.reserve(cfg.gateways.size());
  for (const auto& g : cfg.gateways) {
    out.emplace(g.name, g.api);
  }
  return out;
}

route_labels labels_of(const route_config& r, const gateway_apis& apis) {
  const auto g = apis.find(r.gateway);
  return route_labels{
      r.name,
      r.model,
      r.gateway,
      std::string(to_string(g != apis.end() ? g->second : api_flavour::openai_chat)),
      r.settings.stream};
}

}  // namespace

std::vector<std::string> admin_host_entries(const config& cfg) {
  auto out = cfg.global.admin_hosts;
  for (const auto* url : {&cfg.global.public_url, &cfg.global.media_base_url}) {
    if (auto host = url_host_entry(*url)) {
      out.push_back(std::move(*host));
    }
  }
  return out;
}

service::resources service::prepare(const config& cfg) {
  resources out;
  std::size_t step = 0;
  // One step: the test hook may fail it (a fail_count sweep); any exception becomes an error.
  auto attempt = [&](const std::string& what, auto&& fn) {
    try {
      const auto n = step++;
      if (options_.prepare_step) {
        options_.prepare_step(n);
      }
      fn();
    } catch (const std::exception& e) {
      out.errors.push_back(what + ": " + e.what());
    }
  };

  if (started_) {
    attempt("global.external_labels", [&] {
      if (cfg.global.external_labels != cfg_->global.external_labels) {
        throw std::runtime_error("changed: that needs a restart");
      }
    });
    // The labels alerts carry are their identity (fingerprint): stable for the process's life.
    attempt("global.replica_labels", [&] {
      if (cfg.global.alert_labels() != cfg_->global.alert_labels()) {
        throw std::runtime_error("changed the labels alerts carry: that needs a restart");
      }
    });
  }
  attempt("global.admin_hosts",
          [&] { out.admin_hosts = admin_host_policy(admin_host_entries(cfg)); });
  for (const auto& g : cfg.gateways) {
    attempt("gateways." + g.name, [&] {
      const auto it = gateways_.find(g.name);
      out.clients[g.name] = it != gateways_.end() && same_client(it->second->cfg, g)
                                ? it->second->client
                                : std::make_shared<http_client>(io_.get_executor(), g.client);
    });
  }
  // Receivers' clients are built by alerting::apply; the same construction here refuses what
  // it would refuse (CA file, proxy environment) while the old configuration still runs.
  for (const auto& r : cfg.receivers) {
    attempt("receivers." + r.name, [&] {
      client_options o;
      o.tls.ca_file = r.ca_file;
      o.tls.insecure_skip_verify = r.insecure_skip_verify;
      (void)std::make_shared<http_client>(io_.get_executor(), o);
    });
  }
  const auto apis = apis_of(cfg);
  custom_image_files images;  // read once per file
  for (const auto& r : cfg.routes) {
    if (const auto& file = r.settings.challenge.image_file; !file.empty()) {
      attempt("routes." + r.name, [&] {
        std::string error;
        auto shared = images.get(file, error);
        if (!shared) {
          throw std::runtime_error(error);
        }
        out.images[r.name] = std::move(shared);
      });
    }
    // What metrics::add_route would refuse in install().
    attempt("routes." + r.name, [&] {
      const auto l = labels_of(r, apis);
      for (const auto* v : {&l.route, &l.model, &l.gateway, &l.api}) {
        if (!is_valid_utf8(*v)) {
          throw std::invalid_argument("a metric label value is not valid UTF-8");
        }
      }
      if (l.route.empty()) {
        throw std::invalid_argument("the route name is empty");
      }
    });
  }
  if (!out.errors.empty()) {
    return out;
  }

  attempt("gateways", [&] {
    std::size_t next_index = 0;
    for (const auto& [name, g] : gateways_) {
      next_index = std::max(next_index, g->index + 1);
    }
    for (const auto& g : cfg.gateways) {
      auto e = std::make_unique<gateway_entry>();
      e->cfg = g;
      e->client = out.clients.at(g.name);
      e->redact = std::make_shared<const redactor>(gateway_redactor(g));
      const auto old = gateways_.find(g.name);
      e->index = old != gateways_.end() ? old->second->index : next_index++;
      e->skipped = old != gateways_.end() ? old->second->skipped : 0;
      out.gateways.emplace(g.name, std::move(e));
    }
  });
  attempt("routes", [&] {
    out.next_route_id = next_route_id_;
    for (const auto& r : cfg.routes) {
      if (const auto it = by_name_.find(r.name); it != by_name_.end()) {
        out.by_name.emplace(r.name, it->second);
        continue;
      }
      auto fresh = std::make_unique<route_entry>();
      fresh->id = out.next_route_id++;
      out.by_name.emplace(r.name, fresh->id);
      out.fresh.emplace(r.name, std::move(fresh));
    }
    for (const auto& [name, id] : by_name_) {
      if (!out.by_name.contains(name)) {
        out.removed.push_back(id);
      }
    }
  });
  return out;
}

std::pair<std::size_t, std::size_t> service::install(std::shared_ptr<const config> cfg,
                                                     resources res) noexcept {
  for (const auto& [name, g] : res.gateways) {
    core_.set_gateway_limit(g->index, g->cfg.max_concurrency);
    metrics_->add_gateway(name);
  }
  for (const auto& [name, g] : gateways_) {
    if (!res.gateways.contains(name)) {
      metrics_->remove_gateway(name);
    }
  }
  core_.set_max_in_flight(std::max<std::size_t>(cfg->global.max_in_flight, 1));
  if (admin_) {  // at start-up the admin server is built after install, from the same list
    admin_->set_host_policy(std::move(res.admin_hosts));
  }

  // Routes: same name keeps history, windows and baseline; new ones start; removed ones go.
  const auto now = clock::now();
  const auto unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  const auto apis = apis_of(*cfg);
  auto shortest = std::chrono::milliseconds::max();  // interval or retry interval, for the slack
  for (const auto& r : cfg->routes) {
    const auto& s = r.settings;
    const auto retry = s.effective_retry_interval();
    shortest = std::min({shortest, s.interval, retry.count() > 0 ? retry : s.interval});
    const auto gw = res.gateways.at(r.gateway)->index;
    route_entry* e = nullptr;
    if (auto fresh = res.fresh.find(r.name); fresh != res.fresh.end()) {
      e = fresh->second.get();
      schedule_new_route(e->id, gw, r, now, unix_ms);
      routes_.emplace(e->id, std::move(fresh->second));
    } else {
      e = routes_.at(res.by_name.find(r.name)->second).get();
      core_.update_route(e->id, gw, s.interval, control_interval(s.baseline_interval, s.shapes));
      // A request form new to a route whose forms were all measured: learn it now (a route not
      // measured yet keeps its scheduled first control request, spread over its phase).
      if (e->state.unmeasured(forms_of(s.shapes)) &&
          !e->state.unmeasured(forms_of(e->cfg->settings.shapes))) {
        core_.request_baseline(e->id, now);
      }
    }
    core_.set_retry_interval(e->id, s.effective_retry_interval());
    e->cfg = &r;
    e->metrics = metrics_->add_route(labels_of(r, apis));  // same labels: same series
    metrics_->set_shapes(e->metrics, s.shapes);            // kept shapes keep their series
    metrics_->set_retry_mode(e->metrics, core_.retrying(e->id));
    e->state.set_window(s.window);
    const auto image = res.images.find(r.name);
    e->image = image != res.images.end() ? image->second : nullptr;
  }
  // Routes due a few ms apart start in one wakeup: at most 1% of the shortest interval, 10 ms.
  core_.set_start_slack(cfg->routes.empty() ? std::chrono::milliseconds(0)
                                            : start_slack_for(shortest));
  for (const auto id : res.removed) {
    core_.remove_route(id);
    metrics_->remove_route(routes_.at(id)->cfg->name);
    routes_.erase(id);
  }
  const std::pair<std::size_t, std::size_t> counts{res.fresh.size(), res.removed.size()};
  by_name_ = std::move(res.by_name);
  gateways_ = std::move(res.gateways);
  next_route_id_ = res.next_route_id;
  cfg_ = std::move(cfg);
  budget_ledger::limits limits;
  for (const auto& g : cfg_->gateways) {
    if (g.budget.daily_usd) {
      limits.emplace(g.name, *g.budget.daily_usd);
    }
  }
  budget_.set_limits(cfg_->global.budget.daily_usd, std::move(limits));
  apply_budget();
  return counts;
}

void service::schedule_new_route(scheduler_core::route_id id,
                                 std::size_t gateway,
                                 const route_config& r,
                                 scheduler_core::time_point now,
                                 std::int64_t unix_ms) {
  const auto& s = r.settings;
  const auto first = now + delay_to_slot(unix_ms, phase_offset(r.name, s.interval), s.interval);
  core_.add_route(id,
                  gateway,
                  s.interval,
                  control_interval(s.baseline_interval, s.shapes),
                  first,
                  first_baseline_time(now, first, s.timeout, s.interval));
}

std::vector<std::string> service::reload() {
  if (stopping_) {
    spdlog::warn("reload refused: shutting down");
    return {"shutting down: reload refused"};
  }
  if (options_.config_path.empty()) {
    return {"this instance has no configuration file to reload"};
  }
  sd::reloading("reloading " + options_.config_path);
  auto loaded = load_config(options_.config_path);
  if (!loaded.errors.empty()) {
    std::vector<std::string> errors;
    errors.reserve(loaded.errors.size());
    for (const auto& e : loaded.errors) {
      errors.push_back(e.to_string());
    }
    reload_failed(errors);
    return errors;
  }
  return apply(std::move(*loaded.value));
}

void service::reload_failed(const std::vector<std::string>& errors) {
  last_reload_ok_ = false;
  metrics_->config_reloaded(false, std::chrono::system_clock::now());
  for (const auto& e : errors) {
    spdlog::error("reload rejected: {}", e);
  }
  spdlog::error("reload: {} error(s); the previous configuration keeps running", errors.size());
  sd::ready("reload failed; running the previous configuration");
}

std::vector<std::string> service::apply(config next) {
  if (stopping_) {
    return {"shutting down: reload refused"};
  }
  auto cfg = std::make_shared<const config>(select_shard(std::move(next), options_.shard));
  auto res = prepare(*cfg);
  if (!res.errors.empty()) {
    reload_failed(res.errors);
    return res.errors;
  }
  if (!options_.listen && cfg->global.listen != cfg_->global.listen) {
    spdlog::warn("reload: global.listen changed to {}; the admin server keeps {} until a restart",
                 cfg->global.listen,
                 cfg_->global.listen);
  }
  if (cfg->global.shard != cfg_->global.shard) {
    spdlog::info("reload: shard {} becomes shard {}; routes it no longer owns are removed",
                 to_string(cfg_->global.shard),
                 to_string(cfg->global.shard));
  }
  const auto [added, removed] = install(std::move(cfg), std::move(res));
  metrics_->set_shard(cfg_->global.shard.index, cfg_->global.shard.count);
  try {
    alerting_->apply(*cfg_);
  } catch (const std::exception& e) {
    // prepare() built the same receiver clients; reaching this is a bug, not bad input.
    spdlog::error("reload: applying receivers: {}", e.what());
  }
  last_reload_ok_ = true;
  metrics_->config_reloaded(true, std::chrono::system_clock::now());
  spdlog::info(
      "configuration applied: {} route(s), {} added, {} removed", routes_.size(), added, removed);
  warn_capacity();
  sd::ready("probing " + std::to_string(routes_.size()) + " route(s)");
  wake();
  return {};
}

std::vector<gateway_warning> service::gateway_warnings() const {
  std::vector<gateway_warning> out;
  for (const auto& c : capacity_shortfalls(*cfg_)) {
    const auto g = gateways_.find(c.gateway);
    out.push_back(gateway_warning{
        c.gateway, c.max_concurrency, c.demand, g != gateways_.end() ? g->second->skipped : 0});
  }
  return out;
}

void service::warn_capacity() const {
  for (const auto& c : capacity_shortfalls(*cfg_)) {
    spdlog::warn("{}", capacity_warning(c));
  }
}

}  // namespace visionwatch
