/// The daemon's admin HTTP API as one table of (method, path pattern, handler): service's
/// admin_api(), in a file of its own so the API reads in one place. The server that serves the
/// table is daemon/admin/admin_server.hpp; docs/admin-api.md describes each endpoint.
#include <nlohmann/json.hpp>

#include "daemon/runtime/alerting.hpp"
#include "daemon/runtime/media_store.hpp"
#include "daemon/runtime/service.hpp"
#include "exporters/status.hpp"

namespace visionwatch {
namespace {

/// Size of one streamed piece of /metrics.
constexpr std::size_t metrics_piece_bytes = std::size_t{256} * 1024;

/// A 200 with JSON the status writer wrote as text (json_response would parse nothing but
/// dump a tree; these documents are written straight).
admin_response json_text_response(std::string body) {
  body += '\n';
  return text_response(http::status::ok, std::move(body), "application/json");
}

/// The route list's query (GET /api/v1/routes and GET /), or why it is refused.
route_query_result route_query_of(const admin_request& req) {
  const auto params = req.query_params();
  if (!params) {
    return {std::nullopt, "invalid percent-encoding in the query"};
  }
  return parse_route_query(*params);
}

}  // namespace

std::vector<admin_endpoint> service::admin_api() {
  return {
      // Streamed in pieces of ~256 KiB: at 10,000 routes the exposition is ~50 MB of text. The
      // cursor holds route names, not pointers, so probes and reloads between pieces are safe; the
      // metrics object itself lives as long as the service, which outlives the admin server.
      {http::verb::get,
       "/metrics",
       [this](const admin_request&) {
         alerting_->sync_metrics();
         auto cursor = std::make_shared<metrics::render_cursor>();
         return streamed_response{
             text_response(http::status::ok, {}, "text/plain; version=0.0.4; charset=utf-8"),
             [this, cursor](std::string& out) {
               return metrics_->render_piece(*cursor, out, metrics_piece_bytes);
             }};
       }},
      {http::verb::get,
       "/-/healthy",
       [](const admin_request&) { return text_response(http::status::ok, "OK\n"); }},
      {http::verb::get,
       "/-/ready",
       [this](const admin_request&) {
         return stopping_ ? text_response(http::status::service_unavailable, "stopping\n")
                          : text_response(http::status::ok, "ready\n");
       }},
      // One page of routes: a pass over every route's key, views of the page's routes only.
      {http::verb::get,
       "/api/v1/routes",
       [this](const admin_request& req) {
         const auto q = route_query_of(req);
         if (!q.query) {
           return error_response(http::status::bad_request, q.error);
         }
         return json_text_response(status_json_text(status_page(*q.query)));
       }},
      {http::verb::get,
       "/api/v1/routes/{name}",
       [this](const admin_request& req) {
         if (!req.query.empty()) {
           return error_response(http::status::bad_request,
                                 "this endpoint takes no query parameters");
         }
         const auto view = route_view_of(req.param("name"));
         if (!view) {
           return error_response(http::status::not_found,
                                 "no route named '" + std::string(req.param("name")) + "'");
         }
         return json_text_response(route_json_text(*view));
       }},
      {http::verb::post,
       "/api/v1/routes/{name}/probe",
       [this](admin_request req) { return probe_now(std::move(req)); }},
      {http::verb::post,
       "/-/reload",
       [this](const admin_request&) {
         if (stopping_) {
           return json_response(http::status::service_unavailable,
                                {{"error", "shutting down: reload refused"}});
         }
         const auto errors = reload();
         if (errors.empty()) {
           return json_response(http::status::ok, {{"status", "reloaded"}});
         }
         return json_response(http::status::bad_request,
                              {{"error", "configuration rejected; the previous one keeps running"},
                               {"errors", errors}});
       }},
      {http::verb::get,
       "/api/v1/silences",
       [this](const admin_request&) {
         return json_response(http::status::ok, {{"silences", alerting_->silences_json()}});
       }},
      {http::verb::post,
       "/api/v1/silences",
       [this](const admin_request& req) {
         const auto body = nlohmann::json::parse(req.message.body(), nullptr, false);
         auto [created, error] = alerting_->add_silence(body);
         if (!created) {
           return error_response(http::status::bad_request, error);
         }
         save_state();
         return json_response(http::status::created, *created);
       }},
      {http::verb::delete_,
       "/api/v1/silences/{id}",
       [this](const admin_request& req) {
         if (!alerting_->remove_silence(req.param("id"))) {
           return error_response(http::status::not_found,
                                 "no silence with id '" + std::string(req.param("id")) + "'");
         }
         save_state();
         return json_response(http::status::ok, {{"status", "deleted"}});
       }},
      {http::verb::get,
       "/",
       [this](const admin_request& req) {
         const auto q = route_query_of(req);
         if (!q.query) {
           return text_response(
               http::status::bad_request, status_error_html(q.error), "text/html; charset=utf-8");
         }
         return text_response(
             http::status::ok, status_html(status_page(*q.query)), "text/html; charset=utf-8");
       }},
      {http::verb::get,
       "/media/*",
       [this](const admin_request& req) {
         const auto* e = media_->find(req.rest, media_store::clock::now());
         if (e == nullptr) {
           return error_response(http::status::not_found,
                                 "no such image (they live for one probe)");
         }
         return text_response(http::status::ok, e->bytes, e->mime);
       }},
  };
}

}  // namespace visionwatch
