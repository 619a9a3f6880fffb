// The admin API refuses what a browser on another origin can send: mutations without a JSON
// content type, with a foreign Origin or a cross-site Sec-Fetch-Site, and any request whose Host
// is not an admin host (DNS rebinding). Real server on loopback, raw requests.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "daemon/admin/admin_origin.hpp"
#include "daemon/admin/admin_server.hpp"
#include "tests/admin/admin_test_endpoints.hpp"
#include "tests/support/admin_server_runner.hpp"
#include "tests/support/raw_http_client.hpp"
#include "tests/support/yes_no_cases.hpp"

using namespace visionwatch;
using namespace std::chrono_literals;
using visionwatch::test::answer_timeout;
using visionwatch::test::json_type;

namespace {

constexpr std::string_view silence_body = R"({"route":"*","until":"2099-01-01T00:00:00Z"})";

/// Counts the calls that got through to a handler: a refused request must never reach one.
struct counted_api {
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);

  [[nodiscard]] admin_router router() const {
    auto n = calls;
    admin_router r;
    r.add(http::verb::post, "/api/v1/silences", [n](const admin_request&) {
      ++*n;
      return json_response(http::status::created, {{"id", "sil-1"}});
    });
    r.add(http::verb::post, "/-/reload", [n](const admin_request&) {
      ++*n;
      return json_response(http::status::ok, {{"status", "reloaded"}});
    });
    r.add(http::verb::delete_, "/api/v1/silences/{id}", [n](const admin_request&) {
      ++*n;
      return json_response(http::status::ok, {{"status", "deleted"}});
    });
    r.add(http::verb::get, "/api/v1/routes", [n](const admin_request&) {
      ++*n;
      return json_response(http::status::ok, {{"routes", nlohmann::json::array()}});
    });
    return r;
  }
};

admin_server_options options_on(std::string listen, std::vector<std::string> hosts = {}) {
  admin_server_options o;
  o.listen = std::move(listen);
  o.allowed_hosts = std::move(hosts);
  return o;
}

/// A real admin server on `address` (port 0) in front of a counted_api, and raw requests to it.
struct counted_server {
  counted_api api;
  std::string address;
  test::admin_server_runner server;
  unsigned short port = server.port();
  std::string p = std::to_string(port);  ///< the port as text, for Host and Origin values

  explicit counted_server(std::string addr = "127.0.0.1", std::vector<std::string> hosts = {})
      : address(std::move(addr)),
        server(options_on(
                   (address.find(':') == std::string::npos ? address : "[" + address + "]") + ":0",
                   std::move(hosts)),
               api.router()) {}

  /// One request on a fresh connection: `headers` are whole lines ("Name: v\r\n"), the Host
  /// line included, so each test says exactly what a client sent.
  [[nodiscard]] test::raw_response send(std::string_view method,
                                        std::string_view target,
                                        std::string_view headers,
                                        std::string_view body = "") const {
    std::string r = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
    r += headers;
    r += "Connection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    r += body;
    test::raw_connection c(address, port);
    c.send(r);
    auto res = c.read_response(answer_timeout);
    if (!res) {
      throw std::runtime_error("no response to " + std::string(method) + " " + std::string(target));
    }
    return *res;
  }
  /// The status of GET /api/v1/routes sent with `Host: host`.
  [[nodiscard]] unsigned routes_status(const std::string& host) const {
    return send("GET", "/api/v1/routes", "Host: " + host + "\r\n").status;
  }
  /// The Host line naming this server by its listen address.
  [[nodiscard]] std::string host_line() const { return "Host: 127.0.0.1:" + p + "\r\n"; }
  /// Headers of a JSON request to this server's own Host, then the `extra` lines.
  [[nodiscard]] std::string json_headers(std::string_view extra = "") const {
    return host_line() + std::string(json_type) + std::string(extra);
  }
};

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("a mutation with a foreign Origin is refused with 403 before its handler runs") {
    const counted_server s;
    const auto res = s.send("POST",
                            "/api/v1/silences",
                            s.json_headers("Origin: http://evil.example:8080\r\n"),
                            silence_body);
    CHECK(res.status == 403);
    CHECK(res.body.find("Origin") != std::string::npos);
    // The same host on another port is another origin: a page on 127.0.0.1:8080 is not the API.
    const auto other_port =
        s.send("POST",
               "/-/reload",
               s.json_headers("Origin: http://127.0.0.1:" + std::to_string(s.port + 1) + "\r\n"));
    CHECK(other_port.status == 403);
    const auto null_origin =
        s.send("DELETE", "/api/v1/silences/sil-1", s.json_headers("Origin: null\r\n"));
    CHECK(null_origin.status == 403);
    CHECK(*s.api.calls == 0);
  }

  TEST_CASE("a mutation whose Sec-Fetch-Site is not same-origin is refused with 403") {
    const counted_server s;
    for (const std::string_view site : {"cross-site", "same-site", "bogus"}) {
      CAPTURE(site);
      const auto res = s.send("POST",
                              "/api/v1/silences",
                              s.json_headers("Sec-Fetch-Site: " + std::string(site) + "\r\n"),
                              silence_body);
      CHECK(res.status == 403);
      CHECK(res.body.find("Sec-Fetch-Site") != std::string::npos);
    }
    CHECK(*s.api.calls == 0);
    // What a browser says for the operator's own typing (none) or the API's own page passes.
    for (const std::string_view site : {"none", "same-origin"}) {
      CAPTURE(site);
      CHECK(s.send("POST",
                   "/-/reload",
                   s.json_headers("Sec-Fetch-Site: " + std::string(site) + "\r\n"))
                .status == 200);
    }
  }

  TEST_CASE("a mutation with a text/plain body is refused with 415") {
    const counted_server s;
    for (const std::string_view type : {"text/plain",
                                        "text/plain;charset=UTF-8",
                                        "application/x-www-form-urlencoded",
                                        "multipart/form-data; boundary=x",
                                        "application/jsonp",
                                        "application/json-seq"}) {
      CAPTURE(type);
      const auto res = s.send("POST",
                              "/api/v1/silences",
                              s.host_line() + "Content-Type: " + std::string(type) + "\r\n",
                              silence_body);
      CHECK(res.status == 415);
      CHECK(res.body.find("application/json") != std::string::npos);
    }
    CHECK(*s.api.calls == 0);
  }

  TEST_CASE("a mutation without a content type is refused with 415 even with an empty body") {
    const counted_server s;
    CHECK(s.send("POST", "/-/reload", s.host_line()).status == 415);
    CHECK(s.send("DELETE", "/api/v1/silences/sil-1", s.host_line()).status == 415);
    CHECK(s.send("POST", "/api/v1/silences", s.host_line(), silence_body).status == 415);
    CHECK(*s.api.calls == 0);
  }

  TEST_CASE("a JSON mutation from the same machine without Origin is accepted as curl sends it") {
    const counted_server s;
    CHECK(s.send("POST",
                 "/api/v1/silences",
                 s.host_line() + "Content-Type: application/json; charset=utf-8\r\n",
                 silence_body)
              .status == 201);
    CHECK(
        s.send("POST", "/-/reload", s.host_line() + "content-type: Application/JSON\r\n").status ==
        200);
    CHECK(*s.api.calls == 2);
  }

  TEST_CASE("a mutation from the API's own origin is accepted") {
    const counted_server s;
    CHECK(s.send("POST",
                 "/api/v1/silences",
                 s.json_headers("Origin: http://127.0.0.1:" + s.p +
                                "\r\nSec-Fetch-Site: same-origin\r\n"),
                 silence_body)
              .status == 201);
    CHECK(s.send("POST",
                 "/-/reload",
                 "Host: localhost:" + s.p + "\r\n" + std::string(json_type) +
                     "Origin: http://localhost:" + s.p + "\r\n")
              .status == 200);
    CHECK(*s.api.calls == 2);
  }

  TEST_CASE("a request with a foreign Host header is refused with 403 naming the rule") {
    const counted_server s;
    const auto res = s.send("GET", "/api/v1/routes", "Host: evil.example:8080\r\n");
    CHECK(res.status == 403);
    CHECK(res.body.find("Host header 'evil.example:8080' is not an allowed admin host "
                        "(global.admin_hosts)") != std::string::npos);
    // A rebinding page on attacker.example:PORT reaches the right port with the wrong name.
    CHECK(s.routes_status("attacker.example:" + s.p) == 403);
    // Loopback names on another port are another origin.
    CHECK(s.routes_status("localhost:1") == 403);
    // A mutation with a foreign Host is refused too, whatever else it sends.
    CHECK(s.send("POST", "/-/reload", "Host: evil.example\r\n" + std::string(json_type)).status ==
          403);
    // An absolute-form target names the host as well (RFC 9112 3.2.2: it overrides Host).
    CHECK(s.send("GET", "http://evil.example/api/v1/routes", s.host_line()).status == 403);
    CHECK(*s.api.calls == 0);
    // The listen address, localhost and the loopback literal, with the port or without.
    for (const auto& host : std::vector<std::string>{
             "127.0.0.1:" + s.p, "127.0.0.1", "localhost:" + s.p, "LocalHost"}) {
      CAPTURE(host);
      CHECK(s.routes_status(host) == 200);
    }
  }

  TEST_CASE("names in admin_hosts are allowed Host values with or without a port") {
    const counted_server s("127.0.0.1", {"visionwatch.internal", "Monitor.Example:8443"});
    for (const auto& host : std::vector<std::string>{"visionwatch.internal",
                                                     "visionwatch.internal:" + s.p,
                                                     "VisionWatch.Internal:80",
                                                     "monitor.example:8443"}) {
      CAPTURE(host);
      CHECK(s.routes_status(host) == 200);
    }
    // An entry with a port allows that port only.
    CHECK(s.routes_status("monitor.example:9999") == 403);
    CHECK(s.routes_status("monitor.example") == 403);
    // A page served under an admin host name is same-origin with the API there; behind a TLS
    // reverse proxy too (https, default port); but not from another admin host's page.
    const auto internal = [&](const std::string& host, const std::string& origin) {
      return "Host: " + host + "\r\n" + std::string(json_type) + "Origin: " + origin + "\r\n";
    };
    CHECK(s.send("POST",
                 "/api/v1/silences",
                 internal("visionwatch.internal:" + s.p, "http://visionwatch.internal:" + s.p),
                 silence_body)
              .status == 201);
    CHECK(s.send("POST",
                 "/-/reload",
                 internal("visionwatch.internal", "https://visionwatch.internal"))
              .status == 200);
    CHECK(s.send("POST",
                 "/-/reload",
                 internal("visionwatch.internal:" + s.p, "https://monitor.example:8443"))
              .status == 403);
  }

  TEST_CASE("an IPv6 loopback listener accepts its bracketed literal as Host") {
    const counted_server s("::1");
    for (const auto& host : std::vector<std::string>{
             "[::1]:" + s.p, "[::1]", "[0:0:0:0:0:0:0:1]:" + s.p, "localhost"}) {
      CAPTURE(host);
      CHECK(s.routes_status(host) == 200);
    }
    for (const auto& host :
         std::vector<std::string>{"::1", "[::1]:1", "[::2]:" + s.p, "127.0.0.2:" + s.p}) {
      CAPTURE(host);
      CHECK(s.routes_status(host) == 403);
    }
    CHECK(s.send("POST",
                 "/-/reload",
                 "Host: [::1]:" + s.p + "\r\n" + std::string(json_type) +
                     "Origin: http://[::1]:" + s.p + "\r\n")
              .status == 200);
  }
}

TEST_SUITE("unit") {
  TEST_CASE("admin host entries are validated when the server is built") {
    for (const std::string_view bad : {"",
                                       "evil host",
                                       "http://x.example",
                                       "x.example/",
                                       "x.example:0",
                                       "x.example:65536",
                                       "x.example:",
                                       "[::1",
                                       "::1",
                                       "-x.example",
                                       "x..example",
                                       "*.example"}) {
      CAPTURE(bad);
      CHECK_THROWS_AS(admin_server(net::system_executor(),
                                   options_on("127.0.0.1:0", {std::string(bad)}),
                                   admin_router()),
                      std::invalid_argument);
      CHECK_FALSE(admin_host_entry_valid(bad));
    }
    for (const std::string_view good : {"localhost",
                                        "visionwatch.internal",
                                        "x.example:8443",
                                        "10.0.0.5",
                                        "[fd00::1]:9464",
                                        "monitor-1.example."}) {
      CAPTURE(good);
      CHECK(admin_host_entry_valid(good));
    }
  }

  TEST_CASE("the host of a public URL becomes an admin host entry") {
    struct url_case {
      std::string_view url;
      std::string_view entry;
    };
    for (const auto& c : {
             url_case{"https://vw.example.com/", "vw.example.com"},
             url_case{"https://vw.example.com/media/", "vw.example.com"},
             url_case{"http://watch.example:8080?x", "watch.example:8080"},
             url_case{"https://user:secret@vw.example.com/x", "vw.example.com"},
             url_case{"http://[fd00::1]:9464/", "[fd00::1]:9464"},
         }) {
      CAPTURE(c.url);
      CHECK(url_host_entry(c.url) == c.entry);
    }
    for (const char* no_host : {"", "ftp://vw.example.com/", "https://bad host/"}) {
      CAPTURE(no_host);
      CHECK_FALSE(url_host_entry(no_host));
    }
  }

  TEST_CASE("a loopback client is one on 127/8 or ::1 - also as an IPv4-mapped address") {
    using boost::asio::ip::make_address;
    for (const char* loopback : {
             "127.0.0.1",
             "127.1.2.3",
             "::1",
             "::ffff:127.0.0.1",  // a [::] listener's IPv4 peer
         }) {
      CAPTURE(loopback);
      CHECK(is_loopback_client(make_address(loopback)));
    }
    for (const char* other : {
             "::ffff:192.0.2.7",
             "192.0.2.7",
             "2001:db8::1",
         }) {
      CAPTURE(other);
      CHECK_FALSE(is_loopback_client(make_address(other)));
    }
  }

  TEST_CASE("content types other than application/json are not JSON") {
    test::check_yes_no(is_json_content_type,
                       {
                           "application/json",
                           "application/json; charset=utf-8",
                           "  Application/JSON ;charset=UTF-8",
                       },
                       {
                           "",
                           "text/plain",
                           "application/jsonx",
                           "application/json, text/plain",
                       });
  }
}
