#include "exporters/status.hpp"

#include <algorithm>
#include <array>

#include "exporters/status_views.hpp"

namespace visionwatch {
namespace status_views {

bool shape_rows(const route_view& r) {
  return r.shapes.size() > 1 || (r.shapes.size() == 1 && r.shapes.front().shape != "plain");
}

route_health health_of(const route_view& r) {
  std::array<std::optional<outcome>, probe_shape_count> latest{};
  const std::size_t n = std::min(r.shapes.size(), latest.size());
  for (std::size_t i = 0; i < n; ++i) {
    latest[i] = r.shapes[i].last;
  }
  return route_health_of(shape_rows(r),
                         std::span(latest.data(), n),
                         r.recent.empty() ? std::nullopt : std::optional(r.recent.front().result));
}

alert_level alert_of(const route_view& r) {
  bool firing = false;
  bool pending = false;
  bool silenced = false;
  for (const auto& a : r.alerts) {
    if (a.state == "firing") {
      firing = true;
      silenced = silenced || a.silenced;
    }
    pending = pending || a.pending;
  }
  return alert_level_of(firing, pending, silenced);
}

const route_listing& listing_of(const status_view& s, std::optional<route_listing>& whole) {
  if (s.listing) {
    return *s.listing;
  }
  auto& l = whole.emplace();
  for (const auto& r : s.routes) {
    l.page.counts.add(key_of(r));
    l.gateways.push_back(r.gateway);
  }
  std::sort(l.gateways.begin(), l.gateways.end());
  l.gateways.erase(std::unique(l.gateways.begin(), l.gateways.end()), l.gateways.end());
  l.page.matching = s.routes.size();
  return l;
}

}  // namespace status_views

using status_views::alert_of;
using status_views::health_of;

status_view paged_view(status_view header,
                       const route_query& q,
                       std::span<const route_key> keys,
                       const std::function<route_view(std::size_t)>& view,
                       std::vector<std::string> gateways) {
  route_listing l{q, select_page(keys, q), std::move(gateways)};
  header.routes.clear();
  header.routes.reserve(l.page.shown.size());
  for (const auto i : l.page.shown) {
    header.routes.push_back(view(i));
  }
  header.listing = std::move(l);
  return header;
}

route_key key_of(const route_view& r) {
  route_key k;
  k.name = r.route;
  k.gateway = r.gateway;
  k.model = r.model;
  k.health = health_of(r);
  if (!r.recent.empty()) {
    const auto& last = r.recent.front();
    k.last = last.result;
    k.last_at = last.started_at;
    k.last_latency_seconds = last.latency_seconds;
  }
  k.retrying = r.retrying;
  k.deferred = r.deferred_until.has_value();
  k.alert = alert_of(r);
  return k;
}

}  // namespace visionwatch
