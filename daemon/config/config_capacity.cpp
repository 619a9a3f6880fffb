#include "daemon/config/config_capacity.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <unordered_map>

namespace visionwatch {

double route_demand(const route_settings& s) noexcept {
  if (s.interval.count() <= 0) {
    return 0;
  }
  const auto busy = std::min(s.timeout, s.interval);
  return static_cast<double>(busy.count()) / static_cast<double>(s.interval.count());
}

std::vector<gateway_capacity> capacity_shortfalls(const config& cfg) {
  std::unordered_map<std::string_view, double> demand;
  demand.reserve(cfg.gateways.size());
  for (const auto& r : cfg.routes) {
    demand[r.gateway] += route_demand(r.settings);
  }
  std::vector<gateway_capacity> out;
  for (const auto& g : cfg.gateways) {
    const auto it = demand.find(g.name);
    // A little slack: 4 routes of demand 1/3 each sum to 1.333..., never exactly a limit.
    if (it != demand.end() && it->second > static_cast<double>(g.max_concurrency) + 1e-9) {
      out.push_back(gateway_capacity{g.name, g.max_concurrency, it->second});
    }
  }
  return out;
}

std::string capacity_warning(const gateway_capacity& c) {
  std::array<char, 32> demand{};
  std::snprintf(demand.data(), demand.size(), "%.1f", c.demand);
  return "gateway " + c.gateway + ": its routes need up to " + demand.data() +
         " probes at once (sum of timeout/interval) but max_concurrency is " +
         std::to_string(c.max_concurrency) +
         "; probes that find no free slot before their next one are skipped "
         "(visionwatch_gateway_probes_skipped_total{reason=\"concurrency\"})";
}

}  // namespace visionwatch
