// libFuzzer target for the admin server's request handling, without sockets: the input is the
// bytes a client sends on one connection (pipelined requests allowed). Each request goes through
// what daemon/admin/admin_session.cpp does with it: Beast's parser under the server's default
// header and body caps (a read error becomes status_for_read_error's answer), the version and
// Host checks, admin_router::match over the daemon's API table (the patterns of
// daemon/runtime/admin_api.cpp, in its order), the bearer token check for mutating methods; then
// the API's own parsing: {name}/{id}/`*` parameters, query parameters (GET /api/v1/routes and
// GET /: the route list's query, its cursor and one page of a small fleet), and the POST
// /api/v1/silences body through the daemon's real alerting::add_silence.
// Invariants (a violation traps so libFuzzer keeps the input): nothing throws; a bad request has
// a reason; a match fills the path, decoded parameters free of control bytes, and a rest that
// lies inside the path; every JSON response is valid JSON.
// Build and run: scripts/fuzz (README, "Development").
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/admin/admin_router.hpp"
#include "daemon/admin/admin_server.hpp"
#include "daemon/config/config.hpp"
#include "daemon/runtime/alerting.hpp"
#include "exporters/metrics.hpp"
#include "exporters/status_query.hpp"

namespace {

using namespace visionwatch;

constexpr std::string_view token = "fuzz-token";
constexpr int max_requests = 16;  // pipelined requests per input

void require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

bool clean(std::string_view s) {
  for (const char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return false;
    }
  }
  return true;
}

/// The daemon's alerting with two routes and no receivers: the silences API without a service.
struct daemon_parts {
  daemon_parts() {
    cfg.global.state_dir = "/nonexistent/visionwatch-fuzz";  // never written: start() is not called
    for (const char* name : {"vision", "team/gpt-4o"}) {
      route_config r;
      r.name = name;
      r.gateway = "gw";
      r.model = name;
      cfg.routes.push_back(r);
    }
    alerts = std::make_unique<alerting>(io.get_executor(), m, cfg);
  }
  net::io_context io;
  metrics m{{}, "0.0.0", "fuzz"};
  config cfg;
  std::unique_ptr<alerting> alerts;
};

daemon_parts& parts() {
  static daemon_parts p;
  return p;
}

admin_response reads_query(const admin_request& req) {
  // These endpoints take no query parameters; decoding them must still be safe.
  for (const std::string_view name : {"route", "format", "", "name"}) {
    if (const auto v = req.query_param(name)) {
      require(clean(*v));
    }
  }
  return text_response(http::status::ok, "ok\n");
}

/// GET /api/v1/routes and GET /: the route list's query as the daemon reads it (a 400 has a
/// reason), its link form read back the same, and one page of a small fleet from its cursor.
admin_response route_list(const admin_request& req) {
  const auto params = req.query_params();
  if (!params) {
    return error_response(http::status::bad_request, "invalid percent-encoding in the query");
  }
  const auto q = parse_route_query(*params);
  if (!q.query) {
    require(!q.error.empty());
    return error_response(http::status::bad_request, q.error);
  }
  admin_request again;
  again.query = to_query_string(*q.query, q.query->cursor ? encode_cursor(*q.query->cursor) : "");
  const auto back = again.query_params();
  require(back && parse_route_query(*back).query);
  std::vector<route_key> keys(3);
  keys[0].name = "vision";
  keys[1].name = "team/gpt-4o";
  keys[1].health = route_health::error;
  keys[2].name = "a:b";
  const auto page = select_page(keys, *q.query);
  require(page.shown.size() <= q.query->limit && page.matching <= keys.size());
  require(!page.next_cursor || decode_cursor(*page.next_cursor));
  return json_response(http::status::ok, {{"routes", page.shown.size()}});
}

admin_response named_route(const admin_request& req) {
  const auto name = req.param("name");
  for (const auto& r : parts().cfg.routes) {
    if (r.name == name) {
      return json_response(http::status::ok, {{"route", r.name}});
    }
  }
  return error_response(http::status::not_found, "no route named '" + std::string(name) + "'");
}

admin_response add_silence(const admin_request& req) {
  const auto body = nlohmann::json::parse(req.message.body(), nullptr, false);
  auto [created, error] = parts().alerts->add_silence(body);
  if (!created) {
    require(!error.empty());
    return error_response(http::status::bad_request, error);
  }
  // Keep the store as it was, so that every input starts from the same state.
  require(parts().alerts->remove_silence((*created)["id"].get<std::string>()));
  return json_response(http::status::created, *created);
}

admin_response remove_silence(const admin_request& req) {
  if (!parts().alerts->remove_silence(req.param("id"))) {
    return error_response(http::status::not_found,
                          "no silence with id '" + std::string(req.param("id")) + "'");
  }
  return json_response(http::status::ok, {{"status", "deleted"}});
}

/// daemon/runtime/admin_api.cpp's table: same methods and patterns in the same order.
const admin_router& router() {
  static const admin_router r({
      {http::verb::get, "/metrics", reads_query},
      {http::verb::get, "/-/healthy", reads_query},
      {http::verb::get, "/-/ready", reads_query},
      {http::verb::get, "/api/v1/routes", route_list},
      {http::verb::get, "/api/v1/routes/{name}", named_route},
      {http::verb::post, "/api/v1/routes/{name}/probe", named_route},
      {http::verb::post, "/-/reload", reads_query},
      {http::verb::get,
       "/api/v1/silences",
       [](const admin_request&) {
         return json_response(http::status::ok, {{"silences", parts().alerts->silences_json()}});
       }},
      {http::verb::post, "/api/v1/silences", add_silence},
      {http::verb::delete_, "/api/v1/silences/{id}", remove_silence},
      {http::verb::get, "/", route_list},
      {http::verb::get,
       "/media/*",
       [](const admin_request& req) { return text_response(http::status::ok, req.rest); }},
  });
  return r;
}

void check_json(const admin_response& res) {
  if (res[http::field::content_type] == "application/json") {
    require(nlohmann::json::accept(res.body()));
  }
}

void check_match(const admin_request& req, const admin_router::match_result& m) {
  switch (m.kind) {
    case admin_router::match_kind::bad_request:
      require(!m.error.empty());
      return;
    case admin_router::match_kind::method_not_allowed:
      require(!m.allow.empty());
      return;
    case admin_router::match_kind::not_found:
      return;
    case admin_router::match_kind::matched:
      break;
  }
  require(m.handler != nullptr && !req.path.empty() && req.path.front() == '/');
  for (const auto& [name, value] : req.params) {
    require(!value.empty() && clean(value));
  }
  require(clean(req.rest) && req.rest.size() <= req.path.size());
}

/// One request from the front of `input`; returns the bytes it used, 0 to stop.
std::size_t serve_one(std::string_view input) {
  const admin_server_options defaults;
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(defaults.header_limit));
  parser.body_limit(defaults.body_limit);
  parser.eager(true);

  boost::system::error_code ec;
  std::size_t used = 0;
  while (used < input.size() && !parser.is_done()) {
    const auto n = parser.put(net::buffer(input.data() + used, input.size() - used), ec);
    used += n;
    if (ec == http::error::need_more) {
      ec = {};
      if (n == 0) {
        break;
      }
      continue;
    }
    if (ec) {
      break;
    }
  }
  if (!ec && !parser.is_done()) {
    if (!parser.got_some()) {
      return 0;
    }
    parser.put_eof(ec);
    if (!ec) {
      ec = http::error::partial_message;
    }
  }
  if (ec) {
    if (const auto status = status_for_read_error(ec, parser.is_header_done())) {
      check_json(error_response(*status, "malformed request"));
    }
    return 0;
  }

  const auto& header = parser.get();
  if (header.version() != 10 && header.version() != 11) {
    return 0;
  }
  if (header.version() == 11 && header.find(http::field::host) == header.end()) {
    return 0;
  }
  admin_request request;
  request.message.method_string(header.method_string());
  request.message.target(header.target());
  const auto match = router().match(request);
  check_match(request, match);
  if (match.kind != admin_router::match_kind::matched) {
    return used;
  }
  const auto method = header.method();
  if (method != http::verb::get && method != http::verb::head) {
    const auto auth = header.find(http::field::authorization);
    if (auth == header.end() || !bearer_token_matches(auth->value(), token)) {
      return used;
    }
  }
  request.message = parser.release();
  const auto& handler = std::get<sync_admin_handler>(match.handler->handler);
  check_json(handler(request));
  return used;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    for (int i = 0; i < max_requests && !input.empty(); ++i) {
      const auto used = serve_one(input);
      if (used == 0) {
        break;
      }
      input.remove_prefix(used);
    }
  } catch (...) {
    __builtin_trap();  // the admin server's handlers must answer bad input, not throw
  }
  return 0;
}
