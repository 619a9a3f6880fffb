#pragma once
/// The `global:` section: listen address, state directory, external labels (and which of them
/// name a replica), admin token, public URLs, in-flight cap, shutdown grace, the daily budget
/// over all gateways and the shard.

#include <yaml-cpp/yaml.h>

#include "daemon/config/config_document.hpp"

namespace visionwatch::config_reading {

void parse_global(config_document& doc, const YAML::Node& n);

}  // namespace visionwatch::config_reading
