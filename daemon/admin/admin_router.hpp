#pragma once
/// The admin server's routing table: one table of endpoints (method, path pattern, handler), plus
/// the request and response types handlers see. Pure: no sockets, so every matching and decoding
/// rule is unit-tested directly. Built once before the server starts, then only read (one
/// io_context thread; not thread-safe for concurrent registration).
///
/// Patterns are matched segment by segment on the raw (still percent-encoded) path, so an encoded
/// `/` (`%2F`) stays inside its segment:
///   - literal segments:  `/metrics`, `/-/healthy`
///   - parameters:        `/api/v1/routes/{name}/probe` — one whole segment, percent-decoded
///   - prefix:            `/media/*` — a final `*` takes the rest of the path (decoded, may be
///                        empty, may contain `/`)
/// The first registered pattern that matches the path with the request's method wins. HEAD is
/// served by a GET route unless a HEAD route is registered for the same path.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "probes/net.hpp"

namespace visionwatch {

using admin_response = http::response<http::string_body>;

/// What a handler receives. Owns its data, so async handlers can take it by value.
struct admin_request {
  http::request<http::string_body> message;  ///< method, target, headers, body as received
  std::string path;                          ///< raw path (before '?'), still percent-encoded
  std::string query;                         ///< raw query string without '?'; may be empty
  std::map<std::string, std::string, std::less<>> params;  ///< decoded `{name}` segments
  std::string rest;  ///< decoded remainder for a `*` pattern; empty otherwise
  net::ip::tcp::endpoint remote;

  /// The decoded `{name}` parameter, or empty when the pattern has none of that name.
  [[nodiscard]] std::string_view param(std::string_view name) const;
  /// First decoded query parameter of that name (`+` is a space), or nullopt when absent or when
  /// its encoding is invalid.
  [[nodiscard]] std::optional<std::string> query_param(std::string_view name) const;
  /// Every query parameter, decoded (`+` is a space), in request order, repeats included; a
  /// name without `=` has an empty value. nullopt when any name or value has an invalid
  /// encoding (see percent_decode).
  [[nodiscard]] std::optional<std::vector<std::pair<std::string, std::string>>> query_params()
      const;
};

using sync_admin_handler = std::function<admin_response(const admin_request&)>;
using async_admin_handler = std::function<net::awaitable<admin_response>(admin_request)>;

/// A response whose body is produced a piece at a time (GET /metrics: 10,000 routes are about
/// 80 MB of text, which must never sit in memory at once). `next` appends the next piece to its
/// argument and returns false after the last one; it runs on the server's thread between
/// writes, so it must not keep pointers that a write's wait could invalidate. The server sends
/// a body that fits in its first piece with Content-Length, a longer one chunked (HTTP/1.1) or
/// until close (HTTP/1.0).
// NOLINTNEXTLINE(bugprone-exception-escape): Beast fields' move throws only for unequal allocators
struct streamed_response {
  admin_response head;  ///< status and headers; its body is not sent
  std::function<bool(std::string&)> next;
};
using stream_admin_handler = std::function<streamed_response(const admin_request&)>;

/// What answers an endpoint: a plain function, a coroutine, or a streamed body.
using admin_handler = std::variant<sync_admin_handler, async_admin_handler, stream_admin_handler>;

/// One row of the admin API: (method, path pattern) → handler.
struct admin_endpoint {
  http::verb method;
  std::string pattern;
  admin_handler handler;
};

/// Response builders; the server adds Content-Length, Connection and the security headers.
admin_response text_response(http::status status,
                             std::string body,
                             std::string_view content_type = "text/plain; charset=utf-8");
admin_response json_response(http::status status, const nlohmann::json& body);
/// `{"error": message}` with the given status.
admin_response error_response(http::status status, std::string_view message);

/// Percent-decodes a path segment or query component. Returns nullopt for a `%` not followed by
/// two hex digits, and for decoded control characters (NUL, CR, LF, ...) that have no business in
/// a name and would corrupt logs. `plus_as_space` is for query strings only.
std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space = false);

class admin_router {
 public:
  struct route {
    http::verb method;
    std::string pattern;
    std::vector<std::string> segments;  ///< pattern split on '/', without the leading empty one
    bool prefix = false;                ///< ends with `*`
    admin_handler handler;              ///< never an empty function
  };

  enum class match_kind {
    matched,             ///< `handler` is set and `request` is filled in
    not_found,           ///< no pattern matches the path (404)
    method_not_allowed,  ///< some pattern matches the path, none with this method (405, `allow`)
    bad_request,         ///< the target is not an origin/absolute-form path, or a bad escape (400)
  };

  struct match_result {
    match_kind kind = match_kind::not_found;
    const route* handler = nullptr;
    std::string allow;  ///< "GET, HEAD, POST" for method_not_allowed
    std::string error;  ///< short reason for bad_request
  };

  admin_router() = default;
  /// The whole API at once, in matching order; throws as add() does.
  explicit admin_router(std::vector<admin_endpoint> table);

  /// Throws std::invalid_argument for a pattern that does not start with '/', has an empty
  /// `{}` or a `*` that is not the last segment, repeats an existing (method, pattern), or for an
  /// empty handler.
  void add(admin_endpoint endpoint);
  void add(http::verb method, std::string_view pattern, sync_admin_handler handler) {
    add({method, std::string(pattern), std::move(handler)});
  }
  void add_async(http::verb method, std::string_view pattern, async_admin_handler handler) {
    add({method, std::string(pattern), std::move(handler)});
  }
  void add_stream(http::verb method, std::string_view pattern, stream_admin_handler handler) {
    add({method, std::string(pattern), std::move(handler)});
  }

  /// Resolves `request.message`'s method and target; fills request.path, query, params and rest.
  match_result match(admin_request& request) const;

  [[nodiscard]] bool empty() const noexcept { return routes_.empty(); }

 private:
  std::vector<route> routes_;
};

}  // namespace visionwatch
