#pragma once
/// The probe runner's tests (and the sim's multi-image and the bearer-token runner tests): a
/// one-route configuration against a gateway URL, and one probe or control request of it run to
/// completion on an io_context of its own (its images published by a media server when asked).

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>

#include "daemon/config/config.hpp"
#include "daemon/runtime/media_store.hpp"
#include "daemon/runtime/probe_runner.hpp"
#include "tests/support/media_server.hpp"

namespace visionwatch::test {

/// One gateway ("fake") and one route ("r", model `model`) with `route_extra` YAML flow-mapping
/// keys.
inline std::shared_ptr<const config> make_config(const std::string& base_url,
                                                 const std::string& route_extra,
                                                 const std::string& global_extra = "",
                                                 const std::string& model = "m") {
  std::string y = "global:\n  listen: \"127.0.0.1:0\"\n" + global_extra;
  y += "defaults:\n  interval: 30s\n  timeout: 10s\n"
       "  price: {input_per_million: 0.40, output_per_million: 1.60}\n";
  y += "gateways:\n  - {name: fake, base_url: \"" + base_url + "\", proxy_url: none}\n";
  y += "routes:\n  - {name: r, gateway: fake, model: " + model +
       (route_extra.empty() ? "" : ", " + route_extra) + "}\n";
  auto loaded = parse_config(y, "probe_runner_test.yaml");
  for (const auto& e : loaded.errors) {
    FAIL_CHECK(e.to_string());
  }
  REQUIRE(loaded.value);
  return std::make_shared<const config>(std::move(*loaded.value));
}

/// A job for the configuration's one route, its client on `io`.
inline probe_job first_route_job(net::io_context& io,
                                 const std::shared_ptr<const config>& cfg,
                                 std::uint64_t seed) {
  probe_job job;
  job.cfg = cfg;
  job.route = &cfg->routes.at(0);
  job.gateway = cfg->find_gateway(job.route->gateway);
  job.client = std::make_shared<http_client>(io.get_executor(), job.gateway->client);
  job.sequence = 1;
  job.seed = seed;
  return job;
}

/// Runs the route's control request (`control`) or image probe of `shape` with `seed`.
inline probe_result run_one(bool control,
                            const std::shared_ptr<const config>& cfg,
                            std::uint64_t seed,
                            std::optional<long long> baseline = std::nullopt,
                            std::shared_ptr<media_store> media = {},
                            std::shared_ptr<const redactor> redact = {},
                            probe_shape shape = probe_shape::plain) {
  net::io_context io;
  probe_job job = first_route_job(io, cfg, seed);
  job.media = std::move(media);
  job.redact = std::move(redact);
  job.shape = shape;
  job.baseline_prompt_tokens = baseline;
  probe_result out;
  bool done = false;
  net::co_spawn(
      io, control ? run_control(job) : run_probe(job), [&](std::exception_ptr e, probe_result r) {
        if (e) {
          std::rethrow_exception(e);
        }
        out = std::move(r);
        done = true;
      });
  io.run();
  REQUIRE(done);
  return out;
}

/// The text-only baseline, then one image probe that uses it (as the scheduler does).
struct control_and_probe {
  probe_result control;
  probe_result probe;
};

inline control_and_probe run_with_baseline(const std::shared_ptr<const config>& cfg,
                                           std::uint64_t seed) {
  control_and_probe out;
  out.control = run_one(true, cfg, seed);
  std::optional<long long> baseline;
  if (out.control.success()) {
    baseline = out.control.tokens.prompt_tokens;
  }
  out.probe = run_one(false, cfg, seed, baseline);
  return out;
}

/// One image probe of a route whose images `media` publishes: `media: remote_url` is added to
/// the challenge's `challenge_keys` and global.media_base_url points at the media server.
inline probe_result run_with_remote_media(const media_server& media,
                                          const std::string& base_url,
                                          const std::string& challenge_keys,
                                          std::uint64_t seed) {
  const auto cfg = make_config(base_url,
                               "challenge: {" + challenge_keys + ", media: remote_url}",
                               "  media_base_url: \"" + media.base_url() + "\"\n");
  return run_one(false, cfg, seed, std::nullopt, media.store());
}

}  // namespace visionwatch::test
