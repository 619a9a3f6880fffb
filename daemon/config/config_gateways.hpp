#pragma once
/// The `gateways:` section: where probes are sent, with the API key, extra headers, TLS, proxy
/// and connection settings of each gateway, and its daily budget.

#include <yaml-cpp/yaml.h>

#include "daemon/config/config_document.hpp"

namespace visionwatch::config_reading {

void parse_gateways(config_document& doc, const YAML::Node& n);

/// `budget: {daily_usd: X}` (a gateway's or global's), X > 0 USD: `m` reads the mapping
/// (map_reader::nested with config_fields::budget()).
void parse_budget(config_reader& reader, const map_reader& m, budget_config& out);

}  // namespace visionwatch::config_reading
