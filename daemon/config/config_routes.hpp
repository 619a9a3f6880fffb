#pragma once
/// The `routes:` section: each route (a gateway and a model with its settings over the defaults)
/// and the route matrix, which expands gateways x models into routes through a name template.

#include <yaml-cpp/yaml.h>

#include "daemon/config/config_document.hpp"

namespace visionwatch::config_reading {

/// Reads the routes; the gateways they name are checked once the whole document is read.
void parse_routes(config_document& doc, const YAML::Node& n);

}  // namespace visionwatch::config_reading
