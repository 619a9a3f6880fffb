#pragma once
/// `visionwatch check`: N image probes per route and shape (config `shapes:`), routes
/// concurrently (one worker per gateway slot), then a scorecard on stdout. The command line lives
/// in daemon/app/cmd_check.cpp.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config/shard.hpp"

namespace visionwatch {

struct check_options {
  std::string config_path;
  int probes = 3;
  std::vector<std::string> routes;
  std::string output = "table";
  double min_success = 1.0;
  /// Fixes the run's nonce, so every route draws the same challenges on every run (a CI gate
  /// that must not depend on luck, or a reproduction). Unset: a fresh random nonce per run.
  std::optional<std::uint64_t> seed;
  /// Where `check` serves challenge images for `media: remote_url` routes (GET /media/<token>),
  /// as the daemon does on its admin listener. Empty: 127.0.0.1 on a free port, and the
  /// gateway is told http://127.0.0.1:<port>/media/ (global.media_base_url names the daemon,
  /// not this run). Set: listen there and publish under media_base_url below, else
  /// global.media_base_url, else the bound address.
  std::string media_listen;
  std::string media_base_url;
  /// `--shard i/n`: overrides global.shard; only the routes that shard owns are probed.
  std::optional<shard_spec> shard;
};

/// Runs the check and prints the scorecard. Returns exit_ok when every route passed (every
/// shape of it), exit_failed when one did not, exit_config / exit_usage for a bad file or route
/// name.
int run_check(const check_options& o);

}  // namespace visionwatch
