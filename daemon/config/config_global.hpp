#pragma once
/// The `global:` section: listen address, state directory, external labels, admin token, public
/// URLs, in-flight cap, shutdown grace and the daily budget over all gateways.

#include <yaml-cpp/yaml.h>

#include "daemon/config/config_document.hpp"

namespace visionwatch::config_reading {

void parse_global(config_document& doc, const YAML::Node& n);

}  // namespace visionwatch::config_reading
