#include "daemon/runtime/service.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <random>

#include "daemon/admin/admin_server.hpp"
#include "daemon/runtime/alerting.hpp"
#include "daemon/runtime/heap_trim.hpp"
#include "daemon/runtime/media_store.hpp"
#include "daemon/runtime/probe_log.hpp"
#include "daemon/runtime/sd_notify.hpp"
#include "daemon/runtime/service_parts.hpp"
#include "daemon/runtime/version.hpp"
#include "probes/http_client.hpp"
#include "probes/utc_time.hpp"

namespace visionwatch {
namespace {

using clock = std::chrono::steady_clock;

/// Free heap bytes that make upkeep_loop trim: well above what a scrape or a state save leaves
/// behind at 1,000 routes, well below what 10,000 finished probes do.
constexpr std::size_t heap_trim_threshold = std::size_t{4} << 20;

probe_skip_reason skip_reason_label(scheduler_core::skip_reason r) noexcept {
  switch (r) {
    case scheduler_core::skip_reason::concurrency:
      return probe_skip_reason::concurrency;
    case scheduler_core::skip_reason::overlap:
      return probe_skip_reason::overlap;
    case scheduler_core::skip_reason::late:
      return probe_skip_reason::late;
    case scheduler_core::skip_reason::budget:
      return probe_skip_reason::budget;
  }
  return probe_skip_reason::concurrency;
}

}  // namespace

service::service(net::io_context& io, config cfg, service_options options)
    : io_(io),
      options_(std::move(options)),
      cfg_(std::make_shared<const config>(select_shard(std::move(cfg), options_.shard))),
      core_(std::max<std::size_t>(cfg_->global.max_in_flight, 1)),
      media_(std::make_shared<media_store>()),
      wake_timer_(io),
      drain_timer_(io) {
  metrics_ = std::make_unique<metrics>(cfg_->global.external_labels, version(), revision());
  metrics_->set_shard(cfg_->global.shard.index, cfg_->global.shard.count);
  std::random_device rd;
  nonce_ = (std::uint64_t{rd()} << 32) ^ rd();
}

service::~service() = default;

unsigned short service::admin_port() const { return admin_ ? admin_->port() : 0; }

std::string service::admin_url() const {
  if (!admin_) {
    return {};
  }
  const auto ep = admin_->local_endpoint();
  const auto addr = ep.address();
  std::string host = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
  if (addr.is_unspecified()) {
    host = addr.is_v6() ? "[::1]" : "127.0.0.1";
  }
  return "http://" + host + ":" + std::to_string(ep.port()) + "/";
}

void service::start() {
  auto res = prepare(*cfg_);
  if (!res.errors.empty()) {
    throw std::runtime_error(res.errors.front());
  }
  started_at_ = std::chrono::system_clock::now();
  install(cfg_, std::move(res));
  metrics_->config_reloaded(true, std::chrono::system_clock::now());
  warn_capacity();

  alerting_ = std::make_unique<alerting>(io_.get_executor(), *metrics_, *cfg_);
  // The state file is read by the first handler the io_context runs: READY=1 goes out first
  // (reading 10,000 routes' state takes up to a few hundred ms after an outage), yet nothing
  // else runs before it: no probe starts, no request is answered, no state is saved.
  net::post(io_, [this] { restore_state(); });

  build_admin();
  admin_->start();
  started_ = true;

  auto spawn_loop = [this](net::awaitable<void> loop) {
    auto sig = std::make_shared<net::cancellation_signal>();
    loops_.push_back(sig);
    net::co_spawn(io_, std::move(loop), net::bind_cancellation_slot(sig->slot(), rethrow_on_error));
  };
  spawn_loop(schedule_loop());
  spawn_loop(upkeep_loop());
  if (options_.handle_signals) {
    spawn_loop(signal_loop());
  }
  if (auto interval = sd::watchdog_interval()) {
    spawn_loop(sd::watchdog_loop(*interval));
  }
  spdlog::info("visionwatch {} listening on {} with {} route(s) on {} gateway(s)",
               version(),
               admin_url(),
               routes_.size(),
               gateways_.size());
  if (cfg_->global.shard.count > 1) {
    spdlog::info("shard {}: probing only the routes this shard owns",
                 to_string(cfg_->global.shard));
  }
  sd::ready("probing " + std::to_string(routes_.size()) + " route(s)");
}

void service::restore_state() {
  // Alert state, pending notifications, usage baselines and today's spend survive restarts.
  for (const auto& [route, saved] : alerting_->start()) {
    if (const auto it = by_name_.find(route); it != by_name_.end()) {
      auto& e = *routes_.at(it->second);
      for (const auto& b : saved) {
        e.state.restore_baseline(b.prompt_tokens, b.at, b.form);
      }
      if (const auto plain = e.state.baseline()) {
        metrics_->set_baseline(e.metrics, *plain);
      }
    }
  }
  if (budget_.restore(alerting_->saved_section("budget"), std::chrono::system_clock::now())) {
    spdlog::info("budget: ${:.4f} spent today (UTC) before this start", budget_.total());
  }
  apply_budget();
  state_restored_ = true;
}

void service::build_admin() {
  admin_server_options opts;
  opts.listen = options_.listen.value_or(cfg_->global.listen);
  opts.token = cfg_->global.admin_token;
  opts.allowed_hosts = admin_host_entries(*cfg_);
  opts.gzip_loopback = options_.gzip_loopback;
  const auto parsed = parse_listen_endpoint(opts.listen);
  opts.require_token_for_mutations =
      parsed.endpoint.has_value() && !parsed.endpoint->address().is_loopback();
  admin_ = std::make_unique<admin_server>(
      io_.get_executor(), std::move(opts), admin_router(admin_api()));
}

void service::apply_budget() noexcept {
  const auto now = clock::now();
  for (const auto& [name, g] : gateways_) {
    const auto why = budget_.paused(name);
    const bool paused = why != budget_ledger::pause::none;
    if (paused != core_.gateway_paused(g->index)) {
      core_.set_gateway_paused(g->index, paused, now);
      state_dirty_ = true;  // written within a second: a restart finds the spend that paused it
      if (paused) {
        spdlog::warn(
            "gateway {}: {} budget spent (${:.4f} today): probes and control requests paused "
            "until {}",
            name,
            why == budget_ledger::pause::global ? "the global daily" : "its daily",
            budget_.spent(name),
            format_rfc3339(budget_.resumes_at()));
      } else {
        spdlog::info("gateway {}: probing resumes (a new UTC day or a larger budget)", name);
      }
    }
    metrics_->set_gateway_budget(name, budget_.spent(name), paused);
  }
}

void service::wake() { wake_timer_.cancel(); }

net::awaitable<void> service::schedule_loop() {
  while (!stopping_) {
    const auto now = clock::now();
    for (const auto& job : core_.poll(now)) {
      start_job(job, now);
    }
    for (const auto& skip : core_.take_skipped()) {
      if (const auto it = routes_.find(skip.route); it != routes_.end()) {
        const auto reason = skip_reason_label(skip.reason);
        metrics_->probe_skipped(it->second->metrics);
        if (const auto g = gateways_.find(it->second->cfg->gateway); g != gateways_.end()) {
          if (reason == probe_skip_reason::concurrency) {
            ++g->second->skipped;
          }
          metrics_->gateway_probe_skipped(g->first, reason);
        }
        spdlog::debug("route {}: probe skipped ({})", it->second->cfg->name, to_string(reason));
      }
    }
    metrics_->set_in_flight(core_.in_flight());
    const auto next = core_.next_wakeup();
    wake_timer_.expires_at(next ? *next : now + std::chrono::hours(1));
    auto [ec] = co_await wake_timer_.async_wait(use_nothrow);
    if (ec && ec != net::error::operation_aborted) {
      spdlog::error("scheduler timer: {}", ec.message());
    }
    auto cs = co_await net::this_coro::cancellation_state;
    if (cs.cancelled() != net::cancellation_type::none) {
      co_return;
    }
  }
}

probe_job service::make_job(route_entry& r, probe_shape shape) const {
  probe_job job;
  job.shape = shape;
  job.cfg = cfg_;
  job.route = r.cfg;
  job.gateway = cfg_->find_gateway(r.cfg->gateway);
  const auto& gateway = *gateways_.at(r.cfg->gateway);
  job.client = gateway.client;
  job.redact = gateway.redact;
  job.image = r.image;
  if (r.cfg->settings.challenge.media == media_mode::remote_url) {
    job.media = media_;
  }
  job.baseline_prompt_tokens = r.state.baseline(form_of(shape));
  return job;
}

void service::start_job(const scheduler_core::job& job, scheduler_core::time_point now) {
  const auto it = routes_.find(job.route);
  if (it == routes_.end()) {
    core_.finished(job.route);
    return;
  }
  metrics_->observe_scheduler_lag(std::chrono::duration<double>(now - job.due).count());
  auto& r = *it->second;
  const bool baseline = job.kind == scheduler_core::job_kind::baseline;
  const auto& shapes = r.cfg->settings.shapes;
  probe_job pj = make_job(r,
                          baseline ? shape_of(r.state.control_form(forms_of(shapes)))
                                   : r.state.next_shape(shapes, job.retry));
  pj.sequence = baseline ? 0 : r.state.next_sequence();
  pj.seed = derive_seed(r.cfg->name, nonce_, pj.sequence);
  auto sig = std::make_shared<net::cancellation_signal>();
  const auto task = next_task_++;
  tasks_.emplace(task, sig);
  net::co_spawn(io_,
                probe_task(job.route, baseline, std::move(pj)),
                net::bind_cancellation_slot(sig->slot(), [this, task](std::exception_ptr e) {
                  tasks_.erase(task);
                  task_done();
                  rethrow_on_error(e);
                }));
}

net::awaitable<void> service::probe_task(scheduler_core::route_id id,
                                         bool baseline,
                                         probe_job job) {
  // This frame lives as long as the probe (a hanging one: its whole timeout). The probe is
  // prepared, sent and judged here rather than in run_probe's frame below this one (which
  // held a copy of the job and a probe_result more): a waiting probe holds its prepared state,
  // and the route's name by reference into the config the job keeps alive (a reload may
  // replace cfg_ meanwhile).
  const std::string& route = job.route->name;
  prepared_probe p = baseline ? prepare_control(job) : prepare_probe(job);
  const http_result http = co_await job.client->send(std::move(p.request));
  finish_probe(id, route, judge_prepared(p, job, http));
}

void service::finish_probe(scheduler_core::route_id id, const std::string& route, probe_result r) {
  if (probes_cancelled_) {
    // Cut off by shutdown: not a timeout of the route, so not counted, streaked or saved.
    spdlog::info("route {}: probe cancelled by shutdown; not recorded", route);
    core_.finished(id);
    return;
  }
  on_result(id, std::move(r));
  core_.finished(id);
  // The scheduler loop polls again only when this finish changes what it waits for: a job that
  // waited for the freed slot, or a next probe sooner than its timer (retry mode). Otherwise it
  // sleeps on (a poll per finished probe was a timer cancel and a loop turn each).
  const auto next = core_.next_wakeup();
  if (core_.waiting() > 0 || (next && *next < wake_timer_.expiry())) {
    wake();
  } else {
    metrics_->set_in_flight(core_.in_flight());
  }
}

probe_result service::on_result(scheduler_core::route_id id, probe_result r) {
  const auto it = routes_.find(id);
  if (it == routes_.end()) {
    return r;  // the route was removed by a reload while the probe ran
  }
  auto& e = *it->second;
  const auto& shapes = e.cfg->settings.shapes;
  if (!r.control && !r.success() && names_shapes(shapes)) {
    r.reason = shape_reason(r.shape, r.reason, e.state.latest(shapes));
  }
  log_probe(r, *e.cfg);
  if (r.control) {
    if (e.state.record_baseline(r)) {
      baselines_dirty_ = true;  // worth keeping, not urgent: saved within a minute
    }
    metrics_->record(e.metrics, r, e.state.figures());
    // A route with several request forms learns the missing ones back to back. A control
    // request that learned nothing (failed, or no usage) waits for the next control interval
    // instead: the chain is at most one request per form.
    if (r.success() && r.tokens.prompt_tokens && e.state.unmeasured(forms_of(shapes))) {
      core_.request_baseline(id, clock::now());
    }
  } else {
    // A 429 neither starts nor prolongs retry mode: a rate-limited gateway is not probed faster.
    core_.record_outcome(
        id, r.result != outcome::ok && r.result != outcome::rate_limited, clock::now());
    metrics_->set_retry_mode(e.metrics, core_.retrying(id));
    e.state.record(r);
    const auto figures = e.state.figures();
    metrics_->record(e.metrics, r, figures);
    if (alerting_->on_probe(r, figures)) {
      state_dirty_ = true;  // alert state: saved within a second, one write for a burst
    }
  }
  if (r.cost_usd > 0) {
    const auto& gateway = e.cfg->gateway;
    budget_.add(gateway, r.cost_usd, std::chrono::system_clock::now());
    budget_dirty_ = true;  // saved within a minute, like a baseline
    if (budget_.limited()) {
      apply_budget();  // a global budget may pause every gateway
    } else {
      metrics_->set_gateway_budget(gateway, budget_.spent(gateway), false);
    }
  }
  if (r.retry_after && r.result == outcome::rate_limited) {
    const auto deferral =
        std::min<std::chrono::milliseconds>(*r.retry_after, cfg_->global.max_retry_after);
    if (deferral < *r.retry_after) {
      spdlog::warn("route {}: Retry-After of {} s capped to global.max_retry_after ({} ms)",
                   e.cfg->name,
                   r.retry_after->count(),
                   deferral.count());
    }
    core_.defer(id, clock::now() + deferral);
    e.deferred_until = std::chrono::system_clock::now() + deferral;
  } else {
    e.deferred_until.reset();
  }
  metrics_->set_deferred_until(e.metrics, e.deferred_until);
  if (options_.on_result) {
    options_.on_result(r);
  }
  return r;
}

net::awaitable<admin_response> service::probe_now(admin_request req) {
  const auto name = std::string(req.param("name"));
  const auto it = by_name_.find(name);
  if (it == by_name_.end()) {
    co_return error_response(http::status::not_found, "no route named '" + name + "'");
  }
  const auto id = it->second;
  if (stopping_) {
    co_return error_response(http::status::service_unavailable, "shutting down");
  }
  // ?shape=tools probes that shape; otherwise the next one in rotation.
  std::optional<probe_shape> shape;
  if (const auto asked = req.query_param("shape")) {
    const auto& shapes = routes_.at(id)->cfg->settings.shapes;
    shape = probe_shape_from_string(*asked);
    if (!shape || std::find(shapes.begin(), shapes.end(), *shape) == shapes.end()) {
      co_return error_response(http::status::bad_request,
                               "route '" + name + "' has no shape '" + asked->substr(0, 64) +
                                   "' (its shapes: " + shape_list(shapes) + ")");
    }
  }
  const auto& gateway = routes_.at(id)->cfg->gateway;
  if (const auto g = gateways_.find(gateway);
      g != gateways_.end() && core_.gateway_paused(g->second->index)) {
    co_return error_response(http::status::conflict,
                             "the daily budget of gateway '" + gateway +
                                 "' is spent: probes resume at " +
                                 format_rfc3339(budget_.resumes_at()));
  }
  if (!core_.try_start_now(id)) {
    co_return error_response(http::status::conflict,
                             "a probe of this route is running, or a concurrency limit is reached; "
                             "try again shortly");
  }
  auto& e = *routes_.at(id);
  probe_job job = make_job(e, shape ? *shape : e.state.next_shape(e.cfg->settings.shapes, false));
  job.sequence = e.state.next_sequence();
  job.seed = derive_seed(name, nonce_, job.sequence);
  const auto task = next_task_++;
  auto sig = std::make_shared<net::cancellation_signal>();
  tasks_.emplace(task, sig);
  // Spawned with the task's signal, so shutdown cancels it like a scheduled probe.
  probe_result r = co_await net::co_spawn(
      io_, run_probe(std::move(job)), net::bind_cancellation_slot(sig->slot(), net::use_awaitable));
  tasks_.erase(task);
  if (probes_cancelled_) {
    core_.finished(id);
    task_done();
    co_return error_response(http::status::service_unavailable,
                             "probe cancelled: shutting down (not recorded)");
  }
  r = on_result(id, std::move(r));
  core_.finished(id);
  task_done();
  wake();
  co_return json_response(http::status::ok, probe_result_json(r));
}

void service::task_done() {
  if (stopping_ && tasks_.empty()) {
    drain_timer_.cancel();
  }
}

void service::save_state() {
  if (!state_restored_) {
    return;  // stopped before the state file was read: the file still holds all there is
  }
  saved_baselines baselines;
  for (const auto& [id, e] : routes_) {
    for (std::size_t i = 0; i < request_form_count; ++i) {
      const auto form = static_cast<request_form>(i);
      if (const auto b = e->state.baseline(form); b && e->state.baseline_at(form)) {
        baselines[e->cfg->name].push_back({form, *b, *e->state.baseline_at(form)});
      }
    }
  }
  alerting_->set_section("budget", budget_.to_json());
  const bool ok = alerting_->save(baselines);
  metrics_->state_saved(ok, std::chrono::system_clock::now());
  last_save_ = clock::now();
  if (!ok) {
    // Retried by upkeep_loop after 1, 2, 4, ... 30 s (the dirty flags stay set): a full disk
    // is not a reason to write every second, nor to stop trying.
    ++save_failures_;
    save_failed_ = true;
    save_retry_at_ = last_save_ + std::min<std::chrono::seconds>(
                                      std::chrono::seconds(1LL << std::min(save_failures_ - 1, 5U)),
                                      std::chrono::seconds(30));
    return;
  }
  if (save_failed_) {
    spdlog::info("state saved again after {} failed attempt(s)", save_failures_);
  }
  save_failed_ = false;
  save_failures_ = 0;
  state_dirty_ = false;
  baselines_dirty_ = false;
  budget_dirty_ = false;
  queued_at_save_ = alerting_->queued();
}

net::awaitable<void> service::upkeep_loop() {
  // Once a second: Alertmanager re-sends (every 5 s) and the state file. What changed decides
  // how soon the state file is written: alert state within a second (a
  // restart must not announce a firing twice), a learned baseline within a minute (a restart
  // re-learns it anyway), delivery progress within 5 s of a queue growing or shrinking. A
  // quiet, healthy daemon writes nothing. Silence changes, reloads and shutdown write at once.
  net::steady_timer t(io_);
  for (unsigned tick = 1;; ++tick) {
    t.expires_after(std::chrono::seconds(1));
    auto [ec] = co_await t.async_wait(use_nothrow);
    if (ec || stopping_) {
      co_return;
    }
    if (budget_.roll(std::chrono::system_clock::now())) {
      apply_budget();  // a new UTC day: paused gateways resume
      budget_dirty_ = true;
    }
    if (tick % 5 == 0) {
      // Alertmanager forgets a firing alert 4 resend_intervals after the last send; routes
      // probed less often than resend_interval are re-sent from here.
      alerting_->refresh_alertmanager();
      // Freed memory back to the kernel once it adds up (heap_trim.hpp). The threshold keeps
      // a quiet daemon from trimming at all.
      trim_heap(heap_trim_threshold);
    }
    if (save_failed_) {
      if (clock::now() >= save_retry_at_) {
        save_state();
      }
      continue;
    }
    const auto since = clock::now() - last_save_;
    if (state_dirty_ ||
        ((baselines_dirty_ || budget_dirty_) && since >= std::chrono::seconds(60)) ||
        (alerting_->queued() != queued_at_save_ && since >= std::chrono::seconds(5))) {
      save_state();
    }
  }
}

net::awaitable<void> service::signal_loop() {
  net::signal_set signals(io_, SIGHUP, SIGTERM, SIGINT);
  for (;;) {
    auto [ec, signo] = co_await signals.async_wait(use_nothrow);
    if (ec) {
      co_return;  // cancelled at shutdown
    }
    if (signo == SIGHUP) {
      spdlog::info("SIGHUP: reloading {}", options_.config_path);
      reload();
      continue;
    }
    spdlog::info("{}: stopping", signo == SIGTERM ? "SIGTERM" : "SIGINT");
    request_stop();
    co_return;
  }
}

void service::request_stop() {
  if (stopping_) {
    return;
  }
  stopping_ = true;
  sd::stopping("stopping: waiting for " + std::to_string(tasks_.size()) + " probe(s)");
  net::co_spawn(io_, shutdown(), rethrow_on_error);
}

net::awaitable<void> service::shutdown() {
  wake();
  const auto grace = cfg_->global.shutdown_grace;
  if (!tasks_.empty()) {
    spdlog::info("waiting up to {} ms for {} in-flight probe(s)", grace.count(), tasks_.size());
    drain_timer_.expires_after(grace);
    co_await drain_timer_.async_wait(use_nothrow);
  }
  if (!tasks_.empty()) {
    spdlog::warn("cancelling {} probe(s) still running after the grace period", tasks_.size());
    probes_cancelled_ = true;
    for (auto& [id, sig] : tasks_) {
      sig->emit(net::cancellation_type::terminal);
    }
    drain_timer_.expires_after(std::chrono::seconds(1));
    co_await drain_timer_.async_wait(use_nothrow);
  }
  co_await alerting_->stop(std::chrono::seconds(2));
  save_state();
  for (auto& sig : loops_) {
    sig->emit(net::cancellation_type::terminal);
  }
  wake_timer_.cancel();
  if (admin_) {
    co_await admin_->stop(std::chrono::seconds(1));
  }
  spdlog::info("stopped");
  exit_code_ = 0;
}

}  // namespace visionwatch
