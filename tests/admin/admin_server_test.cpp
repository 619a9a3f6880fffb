#include "daemon/admin/admin_server.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/http/error.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "tests/admin/admin_test_endpoints.hpp"
#include "tests/support/admin_server_runner.hpp"
#include "tests/support/gunzip.hpp"
#include "tests/support/raw_http_client.hpp"

using namespace visionwatch;
using namespace std::chrono_literals;
using visionwatch::test::answer_timeout;
using visionwatch::test::json_type;
using namespace std::string_view_literals;
using visionwatch::test::admin_server_runner;
using visionwatch::test::raw_connection;
using visionwatch::test::raw_response;

namespace {

constexpr std::string_view token = "s3cret-admin-token";

std::string request(std::string_view method,
                    std::string_view target,
                    std::string_view headers = "",
                    std::string_view body = "") {
  std::string r =
      std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n";
  r += headers;
  // As curl must be told to: every mutation says its body is JSON (admin_origin.hpp).
  if (method != "GET" && method != "HEAD" && headers.find("Content-Type:") == std::string::npos) {
    r += json_type;
  }
  if (!body.empty()) {
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  r += "\r\n";
  r += body;
  return r;
}

std::string bearer(std::string_view t) {
  return "Authorization: Bearer " + std::string(t) + "\r\n";
}

/// One request on a fresh connection.
std::optional<raw_response> exchange(unsigned short port, const std::string& bytes) {
  raw_connection c("127.0.0.1", port);
  c.send(bytes);
  return c.read_response(answer_timeout);
}

/// The streamed body of /stream below: 40 pieces of 1,000 bytes each.
std::string streamed_body() {
  std::string body;
  for (int i = 0; i < 40; ++i) {
    body.append(1000, static_cast<char>('a' + i % 26));
  }
  return body;
}

/// test_router() with two streamed endpoints: /stream (streamed_body(), counting the pieces it
/// makes in `pieces_served`) and /small (one piece).
admin_router streaming_router(std::shared_ptr<std::atomic<int>> pieces_served);

/// The response to `bytes`, which must come.
raw_response answered(unsigned short port, const std::string& bytes) {
  auto res = exchange(port, bytes);
  REQUIRE(res.has_value());
  return *res;
}

/// Sends `bytes` on `c` and reads the response (`head`: to a HEAD request), which must come.
raw_response send_and_read(raw_connection& c, const std::string& bytes, bool head = false) {
  c.send(bytes);
  auto res = c.read_response(answer_timeout, head);
  REQUIRE(res.has_value());
  return *res;
}

/// Stands in for a probe: the handler really suspends on the io_context, then answers with the
/// route's name and the request's body.
net::awaitable<admin_response> probe_handler(admin_request req) {
  net::steady_timer timer(co_await net::this_coro::executor, 20ms);
  co_await timer.async_wait(net::use_awaitable);
  co_return json_response(http::status::ok,
                          {{"probed", req.param("name")}, {"body", req.message.body()}});
}

admin_router test_router() {
  admin_router r(visionwatch::test::common_test_endpoints());
  r.add(http::verb::get, "/metrics", [](const admin_request&) {
    return text_response(http::status::ok, "visionwatch_up 1\n", "text/plain; version=0.0.4");
  });
  r.add_async(http::verb::post, "/api/v1/routes/{name}/probe", probe_handler);
  r.add(http::verb::get, "/boom", [](const admin_request&) -> admin_response {
    throw std::runtime_error("handler bug");
  });
  return r;
}

admin_router streaming_router(std::shared_ptr<std::atomic<int>> pieces_served) {
  admin_router router = test_router();
  router.add_stream(http::verb::get, "/stream", [pieces_served](const admin_request&) {
    auto n = std::make_shared<int>(0);
    return streamed_response{text_response(http::status::ok, {}, "text/plain; version=0.0.4"),
                             [n, pieces_served](std::string& out) {
                               out.append(1000, static_cast<char>('a' + *n % 26));
                               ++*pieces_served;
                               return ++*n < 40;
                             }};
  });
  router.add_stream(http::verb::get, "/small", [](const admin_request&) {
    return streamed_response{text_response(http::status::ok, {}), [](std::string& out) {
                               out += "all in one\n";
                               return false;
                             }};
  });
  return router;
}

/// An async handler that sets `started`, waits `delay` on the server's io_context, then answers
/// 200 with `body`.
net::awaitable<admin_response> wait_then_answer(std::shared_ptr<std::atomic<bool>> started,
                                                std::chrono::steady_clock::duration delay,
                                                std::string body) {
  *started = true;
  net::steady_timer timer(co_await net::this_coro::executor, delay);
  co_await timer.async_wait(net::use_awaitable);
  co_return text_response(http::status::ok, body);
}

async_admin_handler waiting_handler(std::shared_ptr<std::atomic<bool>> started,
                                    std::chrono::steady_clock::duration delay,
                                    std::string body) {
  return [started, delay, body](const admin_request&) {
    return wait_then_answer(started, delay, body);
  };
}

/// Polls a flag that the server's thread sets; false when answer_timeout passes first.
bool becomes_true(const std::atomic<bool>& flag) {
  const auto deadline = std::chrono::steady_clock::now() + answer_timeout;
  while (!flag && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  return flag;
}

admin_server_options test_options() {
  admin_server_options o;
  o.listen = "127.0.0.1:0";
  o.token = std::string(token);
  return o;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("listen addresses parse for IPv4 - IPv6 - wildcard and port 0") {
    struct good {
      std::string_view input;
      std::string_view address;
      unsigned short port;
      bool v6;
      bool loopback;
      bool unspecified;
    };
    for (const auto& c : {good{"127.0.0.1:9464", "127.0.0.1", 9464, false, true, false},
                          good{"[::1]:9464", "::1", 9464, true, true, false},
                          good{"0.0.0.0:9464", "0.0.0.0", 9464, false, false, true},
                          good{"[::]:9464", "::", 9464, true, false, true},
                          good{"127.0.0.1:0", "127.0.0.1", 0, false, true, false}}) {
      CAPTURE(c.input);
      const auto parsed = parse_listen_endpoint(c.input);
      REQUIRE(parsed.endpoint);
      const auto address = parsed.endpoint->address();
      CHECK(address.to_string() == c.address);
      CHECK(parsed.endpoint->port() == c.port);
      CHECK(address.is_v6() == c.v6);
      CHECK(address.is_loopback() == c.loopback);
      CHECK(address.is_unspecified() == c.unspecified);
    }
  }

  TEST_CASE("bad listen addresses get an error naming the input and the fix") {
    struct bad {
      std::string_view input;
      std::string_view hint;
    };
    for (const auto& [input, hint] : {bad{"localhost:9464", "not an IP address"},
                                      bad{"127.0.0.1", "expected host:port"},
                                      bad{"127.0.0.1:65536", "0 to 65535"},
                                      bad{"127.0.0.1:-1", "0 to 65535"},
                                      bad{"127.0.0.1:94a", "0 to 65535"},
                                      bad{"127.0.0.1:", "0 to 65535"},
                                      bad{"::1:9464", "brackets"},
                                      bad{"[::1]9464", "[IPv6]:port"},
                                      bad{"[::1", "[IPv6]:port"},
                                      bad{"[127.0.0.1]:9464", "not an IP address"},
                                      bad{":9464", "0.0.0.0:PORT"},
                                      bad{"", "expected host:port"},
                                      bad{"256.1.1.1:80", "not an IP address"}}) {
      CAPTURE(input);
      const auto r = parse_listen_endpoint(input);
      CHECK_FALSE(r.endpoint);
      CHECK(r.error.find("\"" + std::string(input) + "\"") != std::string::npos);
      CHECK(r.error.find(hint) != std::string::npos);
    }
  }

  TEST_CASE("read errors map to 431 - 413 - 400 or a silent close") {
    using http::error;
    CHECK(status_for_read_error(error::header_limit, false) ==
          http::status::request_header_fields_too_large);
    CHECK(status_for_read_error(error::body_limit, true) == http::status::payload_too_large);
    CHECK(status_for_read_error(error::buffer_overflow, false) ==
          http::status::request_header_fields_too_large);
    CHECK(status_for_read_error(error::buffer_overflow, true) == http::status::bad_request);
    for (const auto e : {error::bad_method,
                         error::bad_version,
                         error::bad_target,
                         error::bad_field,
                         error::bad_value,
                         error::bad_content_length,
                         error::bad_transfer_encoding,
                         error::bad_chunk,
                         error::bad_chunk_extension,
                         error::bad_line_ending,
                         error::bad_obs_fold}) {
      CAPTURE(static_cast<int>(e));
      CHECK(status_for_read_error(e, false) == http::status::bad_request);
    }
    CHECK_FALSE(status_for_read_error(error::end_of_stream, false));
    CHECK_FALSE(status_for_read_error(error::partial_message, true));
    CHECK_FALSE(status_for_read_error(beast::error::timeout, false));
    CHECK_FALSE(status_for_read_error(net::error::connection_reset, false));
    CHECK_FALSE(status_for_read_error(net::error::operation_aborted, true));
  }

  TEST_CASE("bearer tokens match only exactly - with a case-insensitive scheme") {
    struct header_case {
      std::string_view header;
      std::string_view token;
      bool matches;
    };
    for (const auto& c : {
             header_case{"Bearer s3cret", "s3cret", true},
             header_case{"bearer s3cret", "s3cret", true},
             header_case{"BEARER s3cret", "s3cret", true},
             header_case{"Bearer s3cre", "s3cret", false},
             header_case{"Bearer s3cret ", "s3cret", false},
             header_case{"Bearer s3cretX", "s3cret", false},
             header_case{"Basic s3cret", "s3cret", false},
             header_case{"s3cret", "s3cret", false},
             header_case{"Bearer ", "s3cret", false},
             header_case{"", "s3cret", false},
             header_case{"Bearer ", "", false},  // no token configured: nothing matches
         }) {
      CAPTURE(c.header);
      CAPTURE(c.token);
      CHECK(bearer_token_matches(c.header, c.token) == c.matches);
    }
  }

  TEST_CASE("the server refuses to construct without a required token or with a bad address") {
    net::io_context io;
    admin_server_options o;
    o.listen = "0.0.0.0:9464";
    o.require_token_for_mutations = true;
    try {
      admin_server s(io.get_executor(), o, admin_router{});
      FAIL("constructed without a token");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find("token") != std::string::npos);
    }
    o.token = "t";
    CHECK_NOTHROW(admin_server(io.get_executor(), o, admin_router{}));
    o.listen = "localhost:80";
    CHECK_THROWS_AS(admin_server(io.get_executor(), o, admin_router{}), std::invalid_argument);
    o.listen = "127.0.0.1:0";
    o.max_connections = 0;
    CHECK_THROWS_AS(admin_server(io.get_executor(), o, admin_router{}), std::invalid_argument);
  }
}

TEST_SUITE("integration") {
  TEST_CASE("a registered route answers 200 with length - type and security headers") {
    admin_server_runner r(test_options(), test_router());
    const auto res = answered(r.port(), request("GET", "/metrics"));
    CHECK(res.status == 200);
    CHECK(res.body == "visionwatch_up 1\n");
    CHECK(res.header("content-type") == "text/plain; version=0.0.4");
    CHECK(res.header("content-length") == "17");
    CHECK(res.header("cache-control") == "no-store");
    CHECK(res.header("x-content-type-options") == "nosniff");
    CHECK(r.stats().responses[1] == 1);
  }

  TEST_CASE("an unknown path is a 404 with a JSON error") {
    admin_server_runner r(test_options(), test_router());
    const auto res = answered(r.port(), request("GET", "/nope"));
    CHECK(res.status == 404);
    CHECK(res.header("content-type") == "application/json");
    CHECK(nlohmann::json::parse(res.body).at("error") == "not found");
    // A trailing slash is another path.
    const auto slash = answered(r.port(), request("GET", "/metrics/"));
    CHECK(slash.status == 404);
    CHECK(r.stats().responses[3] == 2);
  }

  TEST_CASE("a known path with the wrong method is a 405 listing the allowed methods") {
    admin_server_runner r(test_options(), test_router());
    const auto res = answered(r.port(), request("DELETE", "/metrics", bearer(token)));
    CHECK(res.status == 405);
    CHECK(res.header("allow") == "GET, HEAD");
    CHECK(nlohmann::json::parse(res.body).contains("error"));
    const auto post_only = answered(r.port(), request("GET", "/-/reload"));
    CHECK(post_only.status == 405);
    CHECK(post_only.header("allow") == "POST");
    // Methods Beast does not know are still a 405, not a crash or a 400.
    const auto odd = answered(r.port(), request("FROB", "/metrics"));
    CHECK(odd.status == 405);
  }

  TEST_CASE("HEAD on a GET route sends the headers and Content-Length without the body") {
    admin_server_runner r(test_options(), test_router());
    raw_connection c("127.0.0.1", r.port());
    const auto head = send_and_read(c, request("HEAD", "/metrics"), true);
    CHECK(head.status == 200);
    CHECK(head.header("content-length") == "17");
    CHECK(head.body.empty());
    // The next response on the same connection starts right away: no stray body bytes.
    const auto get = send_and_read(c, request("GET", "/metrics"));
    CHECK(get.status == 200);
    CHECK(get.body == "visionwatch_up 1\n");
    CHECK(c.pending().empty());
  }

  TEST_CASE("an async handler suspends and its response is sent when it completes") {
    admin_server_runner r(test_options(), test_router());
    const auto res =
        answered(r.port(), request("POST", "/api/v1/routes/vision/probe", bearer(token), "{}"));
    CHECK(res.status == 200);
    const auto j = nlohmann::json::parse(res.body);
    CHECK(j.at("probed") == "vision");
    CHECK(j.at("body") == "{}");
  }

  TEST_CASE("path parameters are percent-decoded - %2F included - and bad escapes are a 400") {
    admin_server_runner r(test_options(), test_router());
    const auto slash = answered(r.port(), request("GET", "/api/v1/routes/team%2Fgpt%204o"));
    CHECK(slash.status == 200);
    CHECK(nlohmann::json::parse(slash.body).at("route") == "team/gpt 4o");
    const auto probe =
        answered(r.port(), request("POST", "/api/v1/routes/a%2fb/probe", bearer(token), "x"));
    CHECK(probe.status == 200);
    CHECK(nlohmann::json::parse(probe.body).at("probed") == "a/b");
    for (const auto* bad : {"/api/v1/routes/%zz",
                            "/api/v1/routes/abc%2",
                            "/api/v1/routes/%",
                            "/api/v1/routes/a%00b",
                            "/api/v1/routes/a%0Ab",
                            "/nope/%g1"}) {
      CAPTURE(bad);
      const auto res = answered(r.port(), request("GET", bad));
      CHECK(res.status == 400);
      CHECK(nlohmann::json::parse(res.body).contains("error"));
    }
    // A literal '/' is a segment boundary: two segments do not fit {name}.
    const auto two = answered(r.port(), request("GET", "/api/v1/routes/a/b"));
    CHECK(two.status == 404);
    const auto media = answered(r.port(), request("GET", "/media/0123abcd.png"));
    CHECK(media.status == 200);
    CHECK(media.body == "0123abcd.png");
  }

  TEST_CASE("mutating requests need the bearer token - reads do not") {
    admin_server_runner r(test_options(), test_router());
    const auto missing = answered(r.port(), request("POST", "/-/reload"));
    CHECK(missing.status == 401);
    CHECK(missing.header("www-authenticate").starts_with("Bearer"));
    const auto wrong =
        answered(r.port(), request("POST", "/-/reload", bearer("s3cret-admin-tokeX")));
    CHECK(wrong.status == 401);
    CHECK(wrong.body.find("s3cret") == std::string::npos);  // never echoed
    const auto basic =
        answered(r.port(), request("POST", "/-/reload", "Authorization: Basic czNjcmV0\r\n"));
    CHECK(basic.status == 401);
    const auto right = answered(r.port(), request("POST", "/-/reload", bearer(token)));
    CHECK(right.status == 200);
    const auto read = answered(r.port(), request("GET", "/metrics"));
    CHECK(read.status == 200);
    // An unauthenticated POST with a body is refused before the body is read.
    const auto with_body = answered(r.port(), request("POST", "/api/v1/silences", "", "{}"));
    CHECK(with_body.status == 401);
  }

  TEST_CASE("without a configured token mutating requests are open") {
    auto o = test_options();
    o.token.clear();
    admin_server_runner r(o, test_router());
    const auto res = answered(r.port(), request("POST", "/-/reload"));
    CHECK(res.status == 200);
  }

  TEST_CASE("headers over the limit are a 431") {
    admin_server_runner r(test_options(), test_router());
    const auto res = answered(
        r.port(), request("GET", "/metrics", "X-Big: " + std::string(10'000, 'a') + "\r\n"));
    CHECK(res.status == 431);
    CHECK(res.header("connection") == "close");
    // Many small fields count the same way. The server reads 4 KiB at a time, so this header
    // arrives over several reads: Beast's own header_limit alone would let it through.
    std::string many;
    for (int i = 0; i < 700; ++i) {  // ~11 KiB in all
      many += "X-H" + std::to_string(i) + ": value\r\n";
    }
    const auto res2 = answered(r.port(), request("GET", "/metrics", many));
    CHECK(res2.status == 431);
  }

  TEST_CASE("a body over the limit is a 413 - by Content-Length or by chunks") {
    admin_server_runner r(test_options(), test_router());
    // Declared too large: refused before any body byte is read.
    const auto declared = answered(r.port(),
                                   "POST /api/v1/silences HTTP/1.1\r\nHost: localhost\r\n" +
                                       bearer(token) + std::string(json_type) +
                                       "Content-Length: 100000\r\n\r\n" + std::string(1000, 'x'));
    CHECK(declared.status == 413);
    std::string chunked = "POST /api/v1/silences HTTP/1.1\r\nHost: localhost\r\n" + bearer(token) +
                          std::string(json_type) + "Transfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 20; ++i) {
      chunked += "1000\r\n" + std::string(0x1000, 'y') + "\r\n";
    }
    chunked += "0\r\n\r\n";
    const auto streamed = answered(r.port(), chunked);
    CHECK(streamed.status == 413);
    // Just under the limit is fine.
    const auto ok = answered(
        r.port(), request("POST", "/api/v1/silences", bearer(token), std::string(65'536, 'z')));
    CHECK(ok.status == 201);
    CHECK(nlohmann::json::parse(ok.body).at("bytes") == 65'536);
  }

  TEST_CASE("malformed requests get a 400 and the server keeps serving") {
    // The start of a TLS ClientHello: someone pointed https:// at the plain-HTTP port.
    // A TLS ClientHello's first bytes, NULs included (the literal's full length).
    static constexpr std::string_view tls_hello =
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n"sv;
    admin_server_runner r(test_options(), test_router());
    for (const std::string& bad : {
             std::string(tls_hello),
             std::string("GET\r\n\r\n"),
             std::string("G(T /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"),
             std::string("GET /metrics HTTP/1.x\r\nHost: localhost\r\n\r\n"),
             std::string("GET /metrics FTP/1.1\r\nHost: localhost\r\n\r\n"),
             std::string("GET /metrics HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n"),
             std::string("POST /api/v1/silences HTTP/1.1\r\nHost: localhost\r\n" +
                         std::string(json_type) + "Authorization: Bearer ") +
                 std::string(token) + "\r\nContent-Length: 99999999999999999999999\r\n\r\n",
             std::string(
                 "POST /api/v1/silences HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n"),
             std::string("POST /api/v1/silences HTTP/1.1\r\nHost: localhost\r\n" +
                         std::string(json_type) + "Authorization: Bearer ") +
                 std::string(token) +
                 "\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
             std::string("GET /metrics HTTP/1.1\r\n\r\n"),  // HTTP/1.1 requires Host
             std::string("GET metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"),
         }) {
      CAPTURE(bad);
      const auto res = answered(r.port(), bad);
      CHECK(res.status == 400);
    }
    // Versions other than 1.0 and 1.1: refused (Beast calls them malformed; 505 if it ever
    // parses them).
    for (const auto* v : {"HTTP/1.2", "HTTP/2.0", "HTTP/0.9"}) {
      CAPTURE(v);
      const auto res =
          answered(r.port(), std::string("GET /metrics ") + v + "\r\nHost: localhost\r\n\r\n");
      CHECK((res.status == 400 || res.status == 505));
    }
    const auto after = answered(r.port(), request("GET", "/metrics"));
    CHECK(after.status == 200);
  }

  TEST_CASE("a handler that throws becomes a 500 and the server keeps serving") {
    admin_server_runner r(test_options(), test_router());
    raw_connection c("127.0.0.1", r.port());
    const auto res = send_and_read(c, request("GET", "/boom"));
    CHECK(res.status == 500);
    CHECK(res.body.find("handler bug") == std::string::npos);
    const auto next = send_and_read(c, request("GET", "/metrics"));
    CHECK(next.status == 200);
    CHECK(r.stats().responses[4] == 1);
  }

  TEST_CASE("a slowloris client trickling its header is closed at the read deadline") {
    auto o = test_options();
    o.read_timeout = 1000ms;
    admin_server_runner r(o, test_router());
    raw_connection c("127.0.0.1", r.port());
    const auto started = std::chrono::steady_clock::now();
    const std::string req = request("GET", "/metrics", "X-Slow: " + std::string(100, 's') + "\r\n");
    bool closed = false;
    std::string received;
    // One byte per 200 ms would take ~30 s for this request; the deadline must end it first.
    for (std::size_t i = 0; i + 1 < req.size() && !closed; ++i) {
      c.send(req.substr(i, 1));
      closed = c.wait_closed(200ms, &received);
    }
    const auto elapsed = std::chrono::steady_clock::now() - started;
    CHECK(closed);
    CHECK(elapsed < o.read_timeout + 1s);
    CHECK(received.empty());  // cut off, not answered
    CHECK(r.stats().read_timeouts == 1);
  }

  TEST_CASE("a connection that sends nothing is closed at the read deadline") {
    auto o = test_options();
    o.read_timeout = 300ms;
    admin_server_runner r(o, test_router());
    raw_connection c("127.0.0.1", r.port());
    CHECK(c.wait_closed(answer_timeout));
    CHECK(r.stats().read_timeouts == 1);
  }

  TEST_CASE("connections over the limit are answered 503 and closed") {
    auto o = test_options();
    o.max_connections = 2;
    admin_server_runner r(o, test_router());
    raw_connection a("127.0.0.1", r.port());
    auto b = std::make_unique<raw_connection>("127.0.0.1", r.port());
    REQUIRE(
        r.wait_for_stats([](const auto& s) { return s.connections_open == 2; }, answer_timeout));
    raw_connection c("127.0.0.1", r.port());
    c.send(request("GET", "/metrics"));
    const auto rejected = c.read_response(answer_timeout);
    REQUIRE(rejected);
    CHECK(rejected->status == 503);
    CHECK(rejected->header("connection") == "close");
    CHECK(c.wait_closed(answer_timeout));
    CHECK(r.stats().connections_rejected == 1);
    // The two admitted connections are served normally.
    a.send(request("GET", "/metrics"));
    const auto served = a.read_response(answer_timeout);
    REQUIRE(served);
    CHECK(served->status == 200);
    // Closing one frees its slot for a newcomer.
    b.reset();
    REQUIRE(
        r.wait_for_stats([](const auto& s) { return s.connections_open == 1; }, answer_timeout));
    const auto later = answered(r.port(), request("GET", "/metrics"));
    CHECK(later.status == 200);
    CHECK(r.stats().connections_rejected == 1);
  }

  TEST_CASE("keep-alive serves sequential and pipelined requests on one connection") {
    admin_server_runner r(test_options(), test_router());
    raw_connection c("127.0.0.1", r.port());
    const auto first = send_and_read(c, request("GET", "/metrics"));
    CHECK(first.status == 200);
    CHECK(first.header("connection") != "close");
    const auto second = send_and_read(c, request("GET", "/api/v1/routes/one"));
    CHECK(nlohmann::json::parse(second.body).at("route") == "one");
    // Pipelined: three requests in one write, answered in order, the async one in the middle.
    c.send(request("GET", "/api/v1/routes/a") +
           request("POST", "/api/v1/routes/b/probe", bearer(token), "1") +
           request("GET", "/api/v1/routes/c"));
    const auto pa = c.read_response(answer_timeout);
    const auto pb = c.read_response(answer_timeout);
    const auto pc = c.read_response(answer_timeout);
    REQUIRE(pa);
    REQUIRE(pb);
    REQUIRE(pc);
    CHECK(nlohmann::json::parse(pa->body).at("route") == "a");
    CHECK(nlohmann::json::parse(pb->body).at("probed") == "b");
    CHECK(nlohmann::json::parse(pc->body).at("route") == "c");
    CHECK(r.stats().connections_accepted == 1);
  }

  TEST_CASE("a 204 from a handler is sent without a body - even if the handler set one") {
    auto router = test_router();
    router.add(http::verb::delete_, "/api/v1/silences/{id}", [](const admin_request&) {
      return text_response(http::status::no_content, "ignored");
    });
    admin_server_runner r(test_options(), std::move(router));
    raw_connection c("127.0.0.1", r.port());
    const auto res = send_and_read(c, request("DELETE", "/api/v1/silences/7", bearer(token)));
    CHECK(res.status == 204);
    const auto next = send_and_read(c, request("GET", "/metrics"));
    CHECK(next.status == 200);  // no stray "ignored" bytes in between
  }

  TEST_CASE("Connection: close and HTTP/1.0 requests are answered - then the connection closes") {
    admin_server_runner r(test_options(), test_router());
    raw_connection c("127.0.0.1", r.port());
    const auto res = send_and_read(c, request("GET", "/metrics", "Connection: close\r\n"));
    CHECK(res.status == 200);
    CHECK(res.header("connection") == "close");
    CHECK(c.wait_closed(answer_timeout));
    raw_connection old("127.0.0.1", r.port());
    const auto res10 = send_and_read(old, "GET /metrics HTTP/1.0\r\n\r\n");
    CHECK(res10.status_line.starts_with("HTTP/1.0 200"));
    CHECK(old.wait_closed(answer_timeout));
  }

  TEST_CASE("a streamed body goes out chunked - whole - and the connection stays usable") {
    auto pieces_served = std::make_shared<std::atomic<int>>(0);
    admin_router router = streaming_router(pieces_served);
    router.add_stream(http::verb::get, "/breaks", [](const admin_request&) {
      auto n = std::make_shared<int>(0);
      return streamed_response{text_response(http::status::ok, {}), [n](std::string& out) {
                                 if (++*n == 3) {
                                   throw std::runtime_error("render failed");
                                 }
                                 out += "piece\n";
                                 return true;
                               }};
    });
    admin_server_runner r(test_options(), std::move(router));
    const std::string expected = streamed_body();

    raw_connection c("127.0.0.1", r.port());
    const auto res = send_and_read(c, request("GET", "/stream"));
    CHECK(res.status == 200);
    CHECK(res.header("transfer-encoding") == "chunked");
    CHECK(res.header("content-length").empty());
    CHECK(res.header("content-type") == "text/plain; version=0.0.4");
    CHECK(res.header("x-content-type-options") == "nosniff");
    CHECK(res.chunks == 40);
    CHECK(res.body == expected);
    c.send(request("GET", "/small"));  // same connection: the chunked body ended cleanly
    const auto small = c.read_response(answer_timeout);
    REQUIRE(small);
    CHECK(small->body == "all in one\n");
    CHECK(small->header("content-length") == "11");  // one piece: an ordinary response
    CHECK(small->chunks == 0);

    // HTTP/1.0 cannot take chunks: the body runs until the server closes.
    raw_connection old("127.0.0.1", r.port());
    const auto res10 = send_and_read(old, "GET /stream HTTP/1.0\r\n\r\n");
    CHECK(res10.status_line.starts_with("HTTP/1.0 200"));
    CHECK(res10.header("transfer-encoding").empty());
    CHECK(res10.body == expected);

    // HEAD: the headers only, and the connection can carry on.
    raw_connection h("127.0.0.1", r.port());
    const int before = pieces_served->load();
    const auto hres = send_and_read(h, request("HEAD", "/stream"), true);
    CHECK(hres.status == 200);
    CHECK(hres.body.empty());
    CHECK(pieces_served->load() - before == 1);  // only what it took to choose the framing
    h.send(request("GET", "/small"));
    REQUIRE(h.read_response(answer_timeout));

    // A producer that fails after the headers went out: the body is cut short (no last chunk,
    // so no client takes it for complete) and the connection closed; the server carries on.
    raw_connection b("127.0.0.1", r.port());
    b.send(request("GET", "/breaks"));
    CHECK_FALSE(b.read_response(answer_timeout));
    CHECK(b.wait_closed(answer_timeout));
    const auto after = answered(r.port(), request("GET", "/small"));
    CHECK(after.status == 200);
  }

  TEST_CASE("a client that accepts gzip gets a streamed body gzip-compressed - others as it is") {
    auto pieces_served = std::make_shared<std::atomic<int>>(0);
    auto options = test_options();
    options.gzip_loopback = true;  // the test's client is on loopback
    admin_server_runner r(options, streaming_router(pieces_served));
    const std::string expected = streamed_body();
    constexpr std::string_view accept = "Accept-Encoding: gzip\r\n";

    // Chunked: pieces compressed as they come; the chunks inflate to the whole body.
    raw_connection c("127.0.0.1", r.port());
    c.send(request("GET", "/stream", accept));
    const auto zipped = c.read_response(answer_timeout);
    REQUIRE(zipped);
    CHECK(zipped->status == 200);
    CHECK(zipped->header("content-encoding") == "gzip");
    CHECK(zipped->header("vary") == "Accept-Encoding");
    CHECK(zipped->header("transfer-encoding") == "chunked");
    CHECK(zipped->header("content-type") == "text/plain; version=0.0.4");
    CHECK(zipped->body.size() < expected.size() / 10);
    CHECK(visionwatch::test::gunzip(zipped->body) == expected);

    // One piece: an ordinary response, its Content-Length the compressed size. Same connection.
    c.send(request("GET", "/small", "Accept-Encoding: deflate, gzip;q=0.8\r\n"));
    const auto small = c.read_response(answer_timeout);
    REQUIRE(small);
    CHECK(small->header("content-encoding") == "gzip");
    CHECK(small->header("content-length") == std::to_string(small->body.size()));
    CHECK(small->chunks == 0);
    CHECK(visionwatch::test::gunzip(small->body) == "all in one\n");

    // HEAD: the GET's headers, no body; the connection carries on.
    c.send(request("HEAD", "/small", accept));
    const auto head_small = c.read_response(answer_timeout, true);
    REQUIRE(head_small);
    CHECK(head_small->header("content-encoding") == "gzip");
    CHECK(head_small->header("content-length") == small->header("content-length"));
    CHECK(head_small->body.empty());
    c.send(request("HEAD", "/stream", accept));
    const auto head_stream = c.read_response(answer_timeout, true);
    REQUIRE(head_stream);
    CHECK(head_stream->header("content-encoding") == "gzip");
    CHECK(head_stream->header("vary") == "Accept-Encoding");
    CHECK(head_stream->header("transfer-encoding") == "chunked");
    CHECK(head_stream->body.empty());

    // Without Accept-Encoding, or with gzip refused: identity, and still Vary.
    for (const std::string_view headers :
         {std::string_view{}, "Accept-Encoding: gzip;q=0\r\n"sv, "Accept-Encoding: br\r\n"sv}) {
      CAPTURE(headers);
      c.send(request("GET", "/stream", headers));
      const auto plain = c.read_response(answer_timeout);
      REQUIRE(plain);
      CHECK(plain->header("content-encoding").empty());
      CHECK(plain->header("vary") == "Accept-Encoding");
      CHECK(plain->body == expected);
    }

    // HTTP/1.0: compressed, and delimited by the close.
    raw_connection old("127.0.0.1", r.port());
    old.send("GET /stream HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n");
    const auto res10 = old.read_response(answer_timeout);
    REQUIRE(res10);
    CHECK(res10->header("content-encoding") == "gzip");
    CHECK(visionwatch::test::gunzip(res10->body) == expected);
  }

  TEST_CASE("an idle keep-alive connection is closed after the idle timeout") {
    auto o = test_options();
    o.idle_timeout = 200ms;
    admin_server_runner r(o, test_router());
    raw_connection c("127.0.0.1", r.port());
    c.send(request("GET", "/metrics"));
    REQUIRE(c.read_response(answer_timeout));
    CHECK(c.wait_closed(answer_timeout));
    CHECK(r.stats().read_timeouts == 0);  // idling is not a slow request
  }

  TEST_CASE("Expect: 100-continue gets an interim response before the body is sent") {
    admin_server_runner r(test_options(), test_router());
    raw_connection c("127.0.0.1", r.port());
    c.send("POST /api/v1/silences HTTP/1.1\r\nHost: localhost\r\n" + bearer(token) +
           std::string(json_type) + "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    const auto interim = c.read_response(answer_timeout);
    REQUIRE(interim);
    CHECK(interim->status == 100);
    c.send("hello");
    const auto res = c.read_response(answer_timeout);
    REQUIRE(res);
    CHECK(res->status == 201);
    CHECK(nlohmann::json::parse(res->body).at("bytes") == 5);
  }

  TEST_CASE("the server listens on the IPv6 loopback") {
    auto o = test_options();
    o.listen = "[::1]:0";
    std::unique_ptr<admin_server_runner> r;
    try {
      r = std::make_unique<admin_server_runner>(o, test_router());
    } catch (const std::exception& e) {
      MESSAGE("skipped: IPv6 loopback unavailable: " << e.what());
      return;
    }
    raw_connection c("::1", r->port());
    const auto res = send_and_read(c, request("GET", "/metrics"));
    CHECK(res.status == 200);
  }

  TEST_CASE("a port already in use is a start-up error naming the address") {
    admin_server_runner first(test_options(), test_router());
    net::io_context io;
    auto o = test_options();
    o.listen = "127.0.0.1:" + std::to_string(first.port());
    admin_server second(io.get_executor(), o, test_router());
    try {
      second.start();
      FAIL("second server started on a busy port");
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      CHECK(what.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())) !=
            std::string::npos);
      CHECK(what.find("in use") != std::string::npos);
    }
  }

  TEST_CASE("stop lets an in-flight async request finish and closes idle connections") {
    auto started = std::make_shared<std::atomic<bool>>(false);
    auto router = test_router();
    router.add_async(http::verb::get, "/slow", waiting_handler(started, 300ms, "finished"));
    admin_server_runner r(test_options(), std::move(router));
    raw_connection idle("127.0.0.1", r.port());
    idle.send(request("GET", "/metrics"));
    REQUIRE(idle.read_response(answer_timeout));
    raw_connection busy("127.0.0.1", r.port());
    busy.send(request("GET", "/slow"));
    REQUIRE(becomes_true(*started));
    const auto stop_started = std::chrono::steady_clock::now();
    r.stop(30s);
    // Returned when the slow request was done, long before the grace period ran out.
    CHECK(std::chrono::steady_clock::now() - stop_started < 20s);
    const auto res = busy.read_response(answer_timeout);
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "finished");
    CHECK(res->header("connection") == "close");
    CHECK(busy.wait_closed(answer_timeout));
    CHECK(idle.wait_closed(answer_timeout));
    CHECK_THROWS_AS(raw_connection("127.0.0.1", r.port()), std::runtime_error);
    CHECK(r.stats().connections_open == 0);
  }

  TEST_CASE("stop cancels a handler that outlives the grace period") {
    auto router = test_router();
    auto started = std::make_shared<std::atomic<bool>>(false);
    router.add_async(http::verb::get, "/stuck", waiting_handler(started, 1h, "never"));
    admin_server_runner r(test_options(), std::move(router));
    raw_connection c("127.0.0.1", r.port());
    c.send(request("GET", "/stuck"));
    REQUIRE(becomes_true(*started));
    r.stop(200ms);
    std::string received;
    CHECK(c.wait_closed(answer_timeout, &received));
    CHECK(received.empty());  // cancelled: no response at all
    CHECK(r.stats().connections_open == 0);
  }
}
