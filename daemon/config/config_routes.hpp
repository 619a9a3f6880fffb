#pragma once
/// The `routes:` section: each route (a gateway and a model with its settings over the defaults)
/// and the route matrix, which expands gateways x models into routes through a name template.

#include <yaml-cpp/yaml.h>

#include "daemon/config/config_document.hpp"

namespace visionwatch::config_reading {

/// Routes a file may declare, after matrix expansion.
inline constexpr std::size_t max_routes = 100'000;
/// What all routes' settings may hold in all (route_settings_bytes summed): each route holds its
/// own copy of the texts it inherits, so a small file whose defaults carry a long prompt and
/// whose matrix expands to thousands of routes would otherwise take gigabytes. Far above any
/// real configuration (10,000 routes with a 2 KB prompt each hold about 20 MiB).
inline constexpr std::size_t max_route_settings_bytes = std::size_t{64} * 1024 * 1024;

/// The memory one route's settings hold: the struct itself, plus the bytes of every text and
/// list it owns (challenge texts, expect words, alert rule texts and receiver lists; phrase
/// lists are shared between routes and not counted).
std::size_t route_settings_bytes(const route_settings& s) noexcept;

/// Reads the routes; the gateways they name are checked once the whole document is read.
void parse_routes(config_document& doc, const YAML::Node& n);

}  // namespace visionwatch::config_reading
