#pragma once
/// What the status API and the status page both read from a view (status.cpp; internal to
/// exporters/status*.cpp): the route's health and alert level, whether its shapes show as rows,
/// and the listing a page of routes was chosen from.

#include <optional>

#include "exporters/status.hpp"

namespace visionwatch::status_views {

/// Whether the page shows the route's shapes as rows: they are more than `[plain]`.
bool shape_rows(const route_view& r);
route_health health_of(const route_view& r);
alert_level alert_of(const route_view& r);
/// The view's listing; for a view without one, its routes as the whole fleet on one page
/// (built in `whole`).
const route_listing& listing_of(const status_view& s, std::optional<route_listing>& whole);

}  // namespace visionwatch::status_views
