#include "tests/support/flavour_cases.hpp"

#include <doctest/doctest.h>

#include "probes/http_url.hpp"
#include "probes/text_util.hpp"

namespace visionwatch::test {

std::vector<api_flavour> every_flavour() {
  const auto names = api_flavour_names();
  std::vector<api_flavour> out;
  out.reserve(names.size());
  for (const auto name : names) {
    out.push_back(api_flavour_from_string(name).value());
  }
  return out;
}

received_request as_received(const http_request& req) {
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

}  // namespace visionwatch::test
