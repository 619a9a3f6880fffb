#pragma once
/// The `gateways:` section: where probes are sent, with the API key, extra headers, TLS, proxy
/// and connection settings of each gateway.

#include <yaml-cpp/yaml.h>

#include "daemon/config/config_document.hpp"

namespace visionwatch::config_reading {

void parse_gateways(config_document& doc, const YAML::Node& n);

}  // namespace visionwatch::config_reading
