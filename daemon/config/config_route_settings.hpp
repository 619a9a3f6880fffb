#pragma once
/// Route settings: the built-in defaults, the `defaults:` section and the same keys on each route
/// (interval, timeout, baseline_interval, retry_interval, window, challenge, checks, price,
/// alerts). A route starts from the defaults and overrides field by field; nested maps merge per
/// key.

#include <yaml-cpp/yaml.h>

#include "daemon/config/config_document.hpp"

namespace visionwatch::config_reading {

/// What parse_settings saw at one level (defaults or one route).
struct settings_seen {
  bool interval = false;
  bool timeout = false;
  bool retry_interval = false;
  int shapes_line = 0;  ///< line of the `shapes:` list at this level; 0: not set here
};

/// The settings before `defaults:` is applied.
route_settings builtin_settings();

/// Reads the `defaults:` section over doc.defaults.
void parse_defaults(config_document& doc, const YAML::Node& n);

/// Reads the setting keys of `m` (defaults or one route) over `s`.
settings_seen parse_settings(config_document& doc, const map_reader& m, route_settings& s);

/// Refuses `stream: true` on a route whose gateway's api flavour cannot stream (no stream
/// decoder in the flavour table). Run once the routes and gateways are all read.
void check_stream_routes(config_document& doc);

/// Refuses shapes the route cannot send: a format shape (jpeg, webp, gif, rgba, large) on a
/// user-supplied image, and a shape the gateway's api flavour rejects (shape_unsupported).
/// `line`: where the route's shapes were set (the route's, else the defaults', else the route).
void check_route_shapes(config_document& doc,
                        const route_settings& s,
                        const std::string& gateway,
                        int line,
                        const std::string& path);

/// Reports a timeout or a retry_interval longer than the interval, when either was set at this
/// level.
void check_timeout(config_reader& reader,
                   const map_reader& m,
                   const route_settings& s,
                   settings_seen seen);

}  // namespace visionwatch::config_reading
