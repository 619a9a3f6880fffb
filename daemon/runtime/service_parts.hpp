#pragma once
/// The service's private parts, shared by service.cpp (probing, shutdown, state) and
/// service_reload.cpp (prepare and install of a configuration). Nothing else includes it.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/admin/admin_origin.hpp"
#include "daemon/runtime/service.hpp"
#include "probes/http_client.hpp"
#include "probes/redactor.hpp"

namespace visionwatch {

struct service::gateway_entry {
  gateway_config cfg;
  std::size_t index = 0;
  std::shared_ptr<http_client> client;
  /// Masks this gateway's secrets in every probe result; built once in prepare().
  std::shared_ptr<const redactor> redact;
  /// Due probes of its routes skipped for want of a slot (reason `concurrency`), kept across
  /// reloads: what the capacity warning on the status page reports.
  std::uint64_t skipped = 0;
};

struct service::route_entry {
  scheduler_core::route_id id = 0;
  const route_config* cfg = nullptr;  ///< into service::cfg_
  route_handle metrics;
  route_state state;
  std::shared_ptr<const custom_image> image;
  /// Until when a Retry-After reply defers the route (capped by global.max_retry_after).
  std::optional<std::chrono::system_clock::time_point> deferred_until;
};

/// Everything a configuration needs before it may replace the running one, built by prepare()
/// without touching the running service, consumed by install().
struct service::resources {
  std::map<std::string, std::shared_ptr<http_client>> clients;        ///< by gateway name
  std::map<std::string, std::shared_ptr<const custom_image>> images;  ///< by route name
  std::map<std::string, std::unique_ptr<gateway_entry>> gateways;     ///< the new table
  std::map<std::string, std::unique_ptr<route_entry>> fresh;          ///< routes new in this config
  std::map<std::string, scheduler_core::route_id, std::less<>> by_name;  ///< the new index
  std::vector<scheduler_core::route_id> removed;  ///< routes the new config no longer has
  admin_host_policy admin_hosts;  ///< the Host names the admin server answers to
  scheduler_core::route_id next_route_id = 1;
  std::vector<std::string> errors;
};

/// The admin server's allowed Host entries for `cfg`: global.admin_hosts plus the hosts of
/// public_url and media_base_url (the names it is published under).
std::vector<std::string> admin_host_entries(const config& cfg);

}  // namespace visionwatch
