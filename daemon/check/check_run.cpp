// `visionwatch check`: N probes per route, routes concurrently, then a scorecard.
#include "daemon/check/check_run.hpp"

#include <unistd.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <iostream>
#include <map>
#include <random>

#include "daemon/admin/admin_origin.hpp"
#include "daemon/admin/admin_server.hpp"
#include "daemon/check/scorecard.hpp"
#include "daemon/config/config.hpp"
#include "daemon/config/exit_codes.hpp"
#include "daemon/runtime/media_store.hpp"
#include "daemon/runtime/probe_log.hpp"
#include "daemon/runtime/probe_runner.hpp"
#include "daemon/runtime/probe_shapes.hpp"

namespace visionwatch {
namespace {

/// True when a route's generated challenge travels as a URL the gateway fetches.
bool serves_media(const route_config& r) {
  const auto& ch = r.settings.challenge;
  return ch.media == media_mode::remote_url && !ch.custom();
}

/// The image listener of one check run: GET /media/<token>(.png) from `store`, nothing else.
/// Started before the probes, stopped when the last worker is done (so io.run() returns).
struct media_listener {
  std::shared_ptr<media_store> store = std::make_shared<media_store>();
  std::unique_ptr<admin_server> server;
  std::string base_url;  ///< what the gateways are told: ".../media/"
};

/// Starts the listener; null and a message on stderr when it cannot.
std::unique_ptr<media_listener> start_media(net::io_context& io,
                                            const check_options& o,
                                            const config& cfg) {
  auto m = std::make_unique<media_listener>();
  admin_server_options opts;
  opts.listen = o.media_listen.empty() ? std::string("127.0.0.1:0") : o.media_listen;
  std::string published;
  if (!o.media_listen.empty()) {
    published = !o.media_base_url.empty() ? o.media_base_url : cfg.global.media_base_url;
  }
  if (auto host = url_host_entry(published)) {
    opts.allowed_hosts.push_back(std::move(*host));
  }
  const std::weak_ptr<media_store> weak = m->store;
  admin_router router;
  router.add(http::verb::get, "/media/*", [weak](const admin_request& req) {
    const auto store = weak.lock();
    const auto* e = store ? store->find(req.rest, media_store::clock::now()) : nullptr;
    if (e == nullptr) {
      return error_response(http::status::not_found, "no such image (they live for one probe)");
    }
    return text_response(http::status::ok, e->bytes, e->mime);
  });
  try {
    m->server =
        std::make_unique<admin_server>(io.get_executor(), std::move(opts), std::move(router));
    m->server->start();
  } catch (const std::exception& e) {
    std::cerr << "visionwatch check: media listener: " << e.what() << '\n';
    return nullptr;
  }
  if (published.empty()) {
    const auto ep = m->server->local_endpoint();
    const std::string host =
        ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
    published = "http://" + host + ":" + std::to_string(ep.port()) + "/media/";
  }
  if (!published.ends_with('/')) {
    published += '/';
  }
  m->base_url = std::move(published);
  return m;
}

/// Shared by the worker coroutines of one check run (one thread).
struct check_state {
  std::shared_ptr<const config> cfg;
  std::vector<const route_config*> routes;
  std::map<std::string, std::shared_ptr<http_client>> clients;
  std::map<std::string, std::shared_ptr<const custom_image>> images;  // by route name
  std::vector<route_run> runs;
  std::unique_ptr<media_listener> media;  ///< for media: remote_url routes; null without any
  std::size_t workers = 0;                ///< gateway workers still running
  int probes = 3;
  std::uint64_t nonce = 0;
  int done = 0;
  int total = 0;
  bool progress = false;

  void tick() {
    ++done;
    if (progress) {
      std::fprintf(
          stderr, "\rchecking %zu route(s): %d/%d requests done", routes.size(), done, total);
      std::fflush(stderr);
    }
  }
};

probe_job make_job(const check_state& st, std::size_t i) {
  probe_job job;
  job.cfg = st.cfg;
  job.route = st.routes[i];
  job.gateway = st.cfg->find_gateway(job.route->gateway);
  job.client = st.clients.at(job.route->gateway);
  if (auto it = st.images.find(job.route->name); it != st.images.end()) {
    job.image = it->second;
  }
  if (st.media && serves_media(*job.route)) {
    job.media = st.media->store;
  }
  return job;
}

/// One route: a control request per request form of its shapes (their usage baselines), then
/// N probes of every shape, the shapes in rotation as the daemon sends them.
net::awaitable<void> check_route(std::shared_ptr<check_state> st, std::size_t i) {
  probe_job job = make_job(*st, i);
  auto& run = st->runs[i];
  const auto& shapes = job.route->settings.shapes;
  run.shapes = shapes;
  std::array<std::optional<long long>, request_form_count> baselines{};
  job.seed = derive_seed(job.route->name, st->nonce, 0);
  for (const auto form : forms_of(shapes)) {
    job.shape = shape_of(form);
    probe_result control = co_await run_control(job);
    log_probe(control, *job.route, true);
    st->tick();
    if (control.success() && control.tokens.prompt_tokens) {
      baselines[static_cast<std::size_t>(form)] = control.tokens.prompt_tokens;
    }
    if (!run.control) {
      run.control = std::move(control);
    }
  }
  std::uint64_t sequence = 0;
  for (int n = 1; n <= st->probes; ++n) {
    for (const auto shape : shapes) {
      job.shape = shape;
      job.baseline_prompt_tokens = baselines[static_cast<std::size_t>(form_of(shape))];
      job.sequence = ++sequence;
      job.seed = derive_seed(job.route->name, st->nonce, job.sequence);
      probe_result r = co_await run_probe(job);
      if (!r.success() && names_shapes(shapes)) {
        r.reason = shape_reason(shape, r.reason, {});
      }
      log_probe(r, *job.route, true);
      st->tick();
      run.probes.push_back(std::move(r));
    }
  }
}

/// Takes routes of one gateway off a shared list: at most max_concurrency of them at once.
net::awaitable<void> gateway_worker(std::shared_ptr<check_state> st,
                                    std::shared_ptr<std::vector<std::size_t>> queue,
                                    std::shared_ptr<std::size_t> next) {
  while (*next < queue->size()) {
    const std::size_t i = (*queue)[(*next)++];
    co_await check_route(st, i);
  }
  if (--st->workers == 0 && st->media) {
    co_await st->media->server->stop(std::chrono::seconds(1));
  }
}

}  // namespace

int run_check(const check_options& o) {
  auto loaded = load_config(o.config_path);
  if (!loaded.value) {  // set exactly when there are no errors
    for (const auto& e : loaded.errors) {
      std::cerr << e.to_string() << '\n';
    }
    return exit_config;
  }
  config sharded = select_shard(std::move(*loaded.value), o.shard);
  const auto shard = sharded.global.shard;
  const std::string owned = shard.count > 1 ? " owned by shard " + to_string(shard) : "";
  net::io_context io;  // outlives st: the media listener's coroutines run on it
  auto st = std::make_shared<check_state>();
  const bool needs_media =
      std::any_of(sharded.routes.begin(), sharded.routes.end(), [&](const auto& r) {
        const bool selected = o.routes.empty() ||
                              std::find(o.routes.begin(), o.routes.end(), r.name) != o.routes.end();
        return selected && serves_media(r);
      });
  if (needs_media) {
    st->media = start_media(io, o, sharded);
    if (!st->media) {
      return exit_config;
    }
    // The probes publish their images under this run's listener, not the daemon's.
    sharded.global.media_base_url = st->media->base_url;
  }
  st->cfg = std::make_shared<const config>(std::move(sharded));
  const config& cfg = *st->cfg;
  for (const auto& name : o.routes) {
    const bool known = std::any_of(cfg.routes.begin(),
                                   cfg.routes.end(),
                                   [&](const route_config& r) { return r.name == name; });
    if (!known) {
      std::cerr << "visionwatch check: --route " << name << ": no such route" << owned << " in "
                << o.config_path << '\n';
      return exit_usage;
    }
  }
  for (const auto& r : cfg.routes) {
    if (o.routes.empty() || std::find(o.routes.begin(), o.routes.end(), r.name) != o.routes.end()) {
      st->routes.push_back(&r);
    }
  }
  if (st->routes.empty()) {
    std::cerr << "visionwatch check: no routes" << owned << " configured in " << o.config_path
              << '\n';
    return exit_config;
  }

  try {
    for (const auto& g : cfg.gateways) {
      st->clients.emplace(g.name, std::make_shared<http_client>(io.get_executor(), g.client));
    }
  } catch (const std::exception& e) {
    std::cerr << "visionwatch check: " << e.what() << '\n';
    return exit_config;
  }
  custom_image_files images;  // routes that name one image_file share one loaded copy
  for (const auto* r : st->routes) {
    const auto& file = r->settings.challenge.image_file;
    if (file.empty()) {
      continue;
    }
    std::string error;
    auto shared = images.get(file, error);
    if (!shared) {
      std::cerr << "visionwatch check: routes." << r->name << ": " << error << '\n';
      return exit_config;
    }
    st->images.emplace(r->name, std::move(shared));
  }

  st->probes = o.probes;
  st->runs.resize(st->routes.size());
  for (const auto* r : st->routes) {
    const auto& shapes = r->settings.shapes;
    const auto probes = static_cast<std::size_t>(o.probes);
    st->total += static_cast<int>(forms_of(shapes).size() + shapes.size() * probes);
  }
  st->nonce =
      o.seed ? *o.seed : std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32);
  st->progress = o.output == "table" && isatty(STDERR_FILENO) == 1;
  std::map<std::string, std::shared_ptr<std::vector<std::size_t>>> by_gateway;
  for (std::size_t i = 0; i < st->routes.size(); ++i) {
    auto& q = by_gateway[st->routes[i]->gateway];
    if (!q) {
      q = std::make_shared<std::vector<std::size_t>>();
    }
    q->push_back(i);
    st->runs[i].route = st->routes[i]->name;
    st->runs[i].model = st->routes[i]->model;
    st->runs[i].gateway = st->routes[i]->gateway;
  }
  std::size_t workers_left = std::max<std::size_t>(cfg.global.max_in_flight, 1);
  for (auto& [gateway, queue] : by_gateway) {
    const auto* g = cfg.find_gateway(gateway);
    auto next = std::make_shared<std::size_t>(0);
    const std::size_t n = std::min({queue->size(),
                                    std::max<std::size_t>(g->max_concurrency, 1),
                                    std::max<std::size_t>(workers_left, 1)});
    workers_left -= std::min(workers_left, n);
    st->workers += n;
    for (std::size_t w = 0; w < n; ++w) {
      net::co_spawn(io, gateway_worker(st, queue, next), rethrow_on_error);
    }
  }
  io.run();
  if (st->progress) {
    std::fprintf(stderr, "\r\033[K");
  }

  std::vector<route_summary> summaries;
  for (const auto& run : st->runs) {
    summaries.push_back(summarize(run, o.min_success));
  }
  if (o.output == "json") {
    std::cout << render_json(summaries, st->runs).dump(2) << '\n';
  } else {
    std::cout << render_table(summaries);
  }
  const bool all_pass =
      std::all_of(summaries.begin(), summaries.end(), [](const auto& s) { return s.pass; });
  return all_pass ? exit_ok : exit_failed;
}

}  // namespace visionwatch
