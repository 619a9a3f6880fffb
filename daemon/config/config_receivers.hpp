#pragma once
/// The `receivers:` section: where alert notifications go (webhook, slack, pagerduty,
/// alertmanager), with their secrets, retry and queue settings and TLS.

#include <yaml-cpp/yaml.h>

#include "daemon/config/config_document.hpp"

namespace visionwatch::config_reading {

void parse_receivers(config_document& doc, const YAML::Node& n);

}  // namespace visionwatch::config_reading
