#pragma once
// Shared by the sim tests that talk to the simulated gateway's handlers without sockets: a
// request built by a flavour's adapter as the gateway would receive it, and a plan's response
// as the http client would hand it over.

#include <doctest/doctest.h>

#include <string>

#include "daemon/sim/sim_gateway.hpp"
#include "probes/http_types.hpp"
#include "probes/http_url.hpp"
#include "probes/text_util.hpp"

namespace visionwatch::test {

/// `req` as the sim gateway would receive it: origin-form target, lower-case header names.
inline received_request as_received(const http_request& req) {
  std::string error;
  const auto t = parse_http_target(req.url, error);
  REQUIRE(t);
  received_request r;
  r.method = req.method;
  r.target = t->origin_form;
  for (const auto& [k, v] : req.headers) {
    r.headers.emplace_back(ascii_lower(k), v);
  }
  r.body = req.body;
  return r;
}

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
