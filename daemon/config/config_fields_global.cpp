#include "daemon/config/config_fields.hpp"
#include "daemon/config/config_fields_support.hpp"

namespace visionwatch::config_fields {

const table& document() {
  static const table t{
      "document",
      "visionwatch: probes LLM vision routes with seeded image challenges. The schema checks "
      "keys, types and values; `visionwatch validate` also checks references, files, secrets "
      "and the rules between keys.",
      {
          map("global", global, "Process-wide settings."),
          map("defaults", defaults, "Route settings every route inherits."),
          map_list("gateways", gateway, "The endpoints routes probe through."),
          map_list("routes", route, "Gateway and model pairs to probe.").needed().at_least(1),
          map_list("receivers", receiver, "Where alerts go."),
          map_list("silences", silence, "Mute a route's alerts until a time."),
      },
      true};
  return t;
}

const table& global() {
  static const table t{
      "global",
      "Process-wide settings.",
      joined({
          {
              text("listen",
                   "Address of the metrics, status page and API: IPv4 literal or [IPv6] literal "
                   "and port. A non-loopback address requires admin_token_*. Default "
                   "127.0.0.1:9464.")
                  .matching(R"(^([0-9.]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$)"),
              text("state_dir",
                   "Where baselines and alert state persist. Default: $STATE_DIRECTORY, else "
                   "./state."),
              text_map("external_labels",
                       "^[a-zA-Z_][a-zA-Z0-9_]*$",
                       "Labels added to every series (no __ prefix, not one visionwatch sets)."),
          },
          secret("admin_token", "Bearer token of the mutating admin endpoints"),
          {
              list("admin_hosts",
                   "Host names (optional :port) the admin server answers to besides its own."),
              url("public_url", "Base of the links in alerts and on the status page."),
              url("media_base_url",
                  "Public URL of visionwatch's /media/, where gateways fetch images of routes "
                  "with media: remote_url."),
              integer(
                  "max_in_flight", 1, 100'000, "Probes in flight over all routes. Default 256."),
              duration("shutdown_grace",
                       "How long in-flight probes may finish on SIGTERM. Default 10s."),
              duration("max_retry_after",
                       "Longest a 429 with Retry-After may defer a route's probes. Default 15m."),
              map("budget", budget, "Spend guard over all gateways."),
              text("shard", "This instance's share of the routes: i/n (1 <= i <= n).")
                  .matching("^[0-9]+/[0-9]+$"),
              list("replica_labels",
                   "External labels that differ between the replicas of an HA pair and are "
                   "left out of alert identity. Default [replica]."),
          },
      })};
  return t;
}

const table& budget() {
  static const table t{
      "budget",
      "Spend guard: once today's (UTC) estimated spend reaches daily_usd, probes pause until "
      "midnight UTC.",
      {number("daily_usd", 0, 1e9, "0..1000000000 USD", "Daily limit in USD (more than 0).")
           .excluding_min()
           .needed()}};
  return t;
}

}  // namespace visionwatch::config_fields
