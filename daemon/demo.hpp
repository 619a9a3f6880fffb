#pragma once
/// The built-in demo: a simulated gateway on loopback whose models (chosen by the request's
/// `model`) behave like healthy and broken vision routes, and the embedded configuration that
/// points the daemon at it. Also used by the end-to-end tests.

#include <string>
#include <string_view>

#include "daemon/sim_gateway.hpp"
#include "daemon/sim_model.hpp"

namespace visionwatch {

/// A sim_gateway whose handler maps model "vision-<behaviour>" (e.g. vision-healthy,
/// vision-drops-image-says-so) to a sim_model behaviour; unknown models get 404 like a real
/// gateway.
class demo_gateway {
 public:
  demo_gateway();
  void start() { server_.start(); }
  void stop() { server_.stop(); }
  std::string base_url() const { return server_.base_url(); }
  std::size_t request_count() const { return server_.request_count(); }

 private:
  sim_model model_;  ///< used on the server thread only
  sim_gateway server_;
};

/// The demo's configuration: five routes on the simulated gateway.
std::string demo_config_yaml(std::string_view gateway_url,
                             std::string_view listen,
                             std::string_view interval);

}  // namespace visionwatch
