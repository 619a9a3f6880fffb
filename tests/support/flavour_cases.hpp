#pragma once
/// What the request-shape tests of probes/ and sim/ go through: every API flavour, the shapes
/// that change the request's form, and a built request as the sim gateway receives it.

#include <array>
#include <vector>

#include "daemon/sim/sim_gateway.hpp"
#include "probes/adapter.hpp"
#include "probes/probe_shape.hpp"

namespace visionwatch::test {

/// Every API flavour, in enum order.
std::vector<api_flavour> every_flavour();

/// The shapes that change the request's form rather than its image.
inline constexpr std::array<probe_shape, 4> request_form_shapes = {
    probe_shape::plain, probe_shape::system, probe_shape::tools, probe_shape::history};

/// `req` as the sim gateway receives it: the origin-form target, lower-case header names.
received_request as_received(const http_request& req);

}  // namespace visionwatch::test
