#pragma once
/// Alerting in the configuration: the `alerts:` rules of defaults and routes (thresholds,
/// severities, description templates, receivers they notify) and the `silences:` section.

#include <yaml-cpp/yaml.h>

#include <string>

#include "daemon/config/config_document.hpp"

namespace visionwatch::config_reading {

/// Reads an `alerts:` block over `a`; rule receivers are checked once the document is read.
void parse_alerts(config_document& doc,
                  const YAML::Node& n,
                  const std::string& path,
                  alert_rules_config& a);

/// Reads the `silences:` section; routes must already be read.
void parse_silences(config_document& doc, const YAML::Node& n);

}  // namespace visionwatch::config_reading
