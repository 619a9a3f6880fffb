#pragma once
// Shared by the sim tests that talk to the simulated gateway's handlers without sockets: a
// request built by a flavour's adapter as the gateway would receive it, and a plan's response
// as the http client would hand it over.

#include <doctest/doctest.h>

#include <string>

#include "daemon/sim/sim_gateway.hpp"
#include "probes/http_types.hpp"
#include "probes/text_util.hpp"
#include "tests/support/flavour_cases.hpp"  // as_received

namespace visionwatch::test {

/// The head and body of `plan` as the http client hands a whole response over.
inline http_result as_result(const response_plan& plan) {
  http_result h;
  h.status = plan.status;
  h.body = plan.body;
  for (const auto& [k, v] : plan.headers) {
    h.headers.emplace_back(ascii_lower(k), v);
  }
  return h;
}

}  // namespace visionwatch::test
