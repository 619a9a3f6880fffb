#pragma once
/// Whether each gateway's max_concurrency can serve what its routes ask of it: a pure function
/// of the configuration, so `validate`, start-up and every reload give the same warning.

#include <cstddef>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"

namespace visionwatch {

/// A gateway whose routes may need more probes in flight at once than it allows.
struct gateway_capacity {
  std::string gateway;
  std::size_t max_concurrency = 0;
  /// Probes in flight at once if every probe took its full timeout: the sum over the gateway's
  /// routes of timeout / interval, each route counting at most 1 (a route never overlaps
  /// itself: a probe due while the previous one runs is skipped as `overlap` instead).
  double demand = 0;
};

/// The demand of one route: min(timeout, interval) / interval; 0 for a zero interval.
double route_demand(const route_settings& s) noexcept;

/// Every gateway whose demand exceeds its max_concurrency, in the order of `cfg.gateways`.
/// Linear in routes + gateways. Due probes beyond the limit wait for a slot and are skipped
/// (reason `concurrency`) when their route's next slot comes first.
std::vector<gateway_capacity> capacity_shortfalls(const config& cfg);

/// The warning line for `c`, the same in `validate`, the start-up and the reload logs.
std::string capacity_warning(const gateway_capacity& c);

}  // namespace visionwatch
