#pragma once
/// Endpoints that the admin server tests and the admin fuzz test both serve: stand-ins for the
/// daemon's reload, route, silence and media endpoints, answering what they received; and the
/// constants those tests share.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "daemon/admin/admin_router.hpp"

namespace visionwatch::test {

/// Bound for an answer that should come at once; reaching it is a failure, not a timing goal.
inline constexpr auto answer_timeout = std::chrono::seconds(5);
inline constexpr std::string_view json_type = "Content-Type: application/json\r\n";

inline std::vector<admin_endpoint> common_test_endpoints() {
  return {
      {http::verb::post,
       "/-/reload",
       [](const admin_request&) {
         return json_response(http::status::ok, {{"reloaded", true}});
       }},
      {http::verb::get,
       "/api/v1/routes/{name}",
       [](const admin_request& req) {
         return json_response(http::status::ok, {{"route", req.param("name")}});
       }},
      {http::verb::post,
       "/api/v1/silences",
       [](const admin_request& req) {
         return json_response(http::status::created, {{"bytes", req.message.body().size()}});
       }},
      {http::verb::get,
       "/media/*",
       [](const admin_request& req) {
         return text_response(http::status::ok, req.rest, "image/png");
       }},
  };
}

}  // namespace visionwatch::test
