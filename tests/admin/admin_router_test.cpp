#include "daemon/admin/admin_router.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

using namespace visionwatch;

namespace {

admin_response ok(const admin_request&) { return text_response(http::status::ok, "ok"); }

admin_request make(http::verb method, std::string_view target) {
  admin_request r;
  r.message.method(method);
  r.message.target(target);
  return r;
}

admin_router routes() {
  admin_router r;
  r.add(http::verb::get, "/metrics", ok);
  r.add(http::verb::get, "/api/v1/routes", ok);
  r.add_async(http::verb::post,
              "/api/v1/routes/{name}/probe",
              [](admin_request) -> net::awaitable<admin_response> {
                co_return text_response(http::status::ok, "probed");
              });
  r.add(http::verb::get, "/api/v1/silences", ok);
  r.add(http::verb::post, "/api/v1/silences", ok);
  r.add(http::verb::delete_, "/api/v1/silences/{id}", ok);
  r.add(http::verb::get, "/media/*", ok);
  r.add(http::verb::get, "/", ok);
  return r;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("an exact pattern matches only its own path") {
    const auto r = routes();
    auto req = make(http::verb::get, "/metrics");
    const auto m = r.match(req);
    REQUIRE(m.kind == admin_router::match_kind::matched);
    CHECK(m.handler->pattern == "/metrics");
    CHECK(req.path == "/metrics");
    for (const auto* other : {"/metrics/", "/metricsx", "//metrics", "/Metrics", "/metrics/x"}) {
      CAPTURE(other);
      auto o = make(http::verb::get, other);
      CHECK(r.match(o).kind == admin_router::match_kind::not_found);
    }
    auto root = make(http::verb::get, "/");
    CHECK(r.match(root).handler->pattern == "/");
  }

  TEST_CASE("a parameter takes one whole segment - percent-decoded") {
    const auto r = routes();
    auto req = make(http::verb::post, "/api/v1/routes/team%2Fgpt-4o%20mini/probe");
    const auto m = r.match(req);
    REQUIRE(m.kind == admin_router::match_kind::matched);
    CHECK(std::holds_alternative<async_admin_handler>(m.handler->handler));
    CHECK(req.param("name") == "team/gpt-4o mini");
    CHECK(req.param("other").empty());
    auto utf8 = make(http::verb::post, "/api/v1/routes/%C3%A9t%C3%A9/probe");
    REQUIRE(r.match(utf8).kind == admin_router::match_kind::matched);
    CHECK(utf8.param("name") == "\xC3\xA9t\xC3\xA9");
    // '+' is literal in a path.
    auto plus = make(http::verb::post, "/api/v1/routes/a+b/probe");
    REQUIRE(r.match(plus).kind == admin_router::match_kind::matched);
    CHECK(plus.param("name") == "a+b");
    // Empty and multi-segment names do not match.
    auto empty = make(http::verb::post, "/api/v1/routes//probe");
    CHECK(r.match(empty).kind == admin_router::match_kind::not_found);
    auto split = make(http::verb::post, "/api/v1/routes/a/b/probe");
    CHECK(r.match(split).kind == admin_router::match_kind::not_found);
  }

  TEST_CASE("invalid percent escapes and decoded control characters are bad requests") {
    const auto r = routes();
    for (const auto* bad : {"/api/v1/routes/%zz/probe",
                            "/api/v1/routes/%2/probe",
                            "/api/v1/routes/%/probe",
                            "/api/v1/routes/x%0/probe",
                            "/api/v1/routes/a%00/probe",
                            "/api/v1/routes/a%0d%0a/probe",
                            "/api/v1/routes/a%7F/probe",
                            "/unknown/%",
                            "/media/%G0"}) {
      CAPTURE(bad);
      auto req = make(http::verb::post, bad);
      const auto m = r.match(req);
      CHECK(m.kind == admin_router::match_kind::bad_request);
      CHECK(m.error == "invalid percent-encoding in path");
    }
  }

  TEST_CASE("percent_decode handles every escape form") {
    CHECK(percent_decode("a%2Fb%2fc") == "a/b/c");
    CHECK(percent_decode("%41%42") == "AB");
    CHECK(percent_decode("") == "");
    CHECK(percent_decode("a+b") == "a+b");
    CHECK(percent_decode("a+b", true) == "a b");
    CHECK(percent_decode("%2B", true) == "+");
    CHECK_FALSE(percent_decode("%"));
    CHECK_FALSE(percent_decode("%4"));
    CHECK_FALSE(percent_decode("%4g"));
    CHECK_FALSE(percent_decode("%09"));
    CHECK_FALSE(percent_decode("tab\there"));
  }

  TEST_CASE("a prefix pattern hands the decoded rest of the path to its handler") {
    const auto r = routes();
    auto req = make(http::verb::get, "/media/0f3a9c.png");
    REQUIRE(r.match(req).kind == admin_router::match_kind::matched);
    CHECK(req.rest == "0f3a9c.png");
    auto nested = make(http::verb::get, "/media/a/b%2Fc");
    REQUIRE(r.match(nested).kind == admin_router::match_kind::matched);
    CHECK(nested.rest == "a/b/c");
    auto bare = make(http::verb::get, "/media/");
    REQUIRE(r.match(bare).kind == admin_router::match_kind::matched);
    CHECK(bare.rest.empty());
    auto no_slash = make(http::verb::get, "/media");
    CHECK(r.match(no_slash).kind == admin_router::match_kind::not_found);
  }

  TEST_CASE("a known path with another method is 405 with a sorted Allow list") {
    const auto r = routes();
    auto del = make(http::verb::delete_, "/metrics");
    const auto m = r.match(del);
    CHECK(m.kind == admin_router::match_kind::method_not_allowed);
    CHECK(m.allow == "GET, HEAD");
    auto put = make(http::verb::put, "/api/v1/silences");
    const auto m2 = r.match(put);
    CHECK(m2.kind == admin_router::match_kind::method_not_allowed);
    CHECK(m2.allow == "GET, HEAD, POST");
    auto get_probe = make(http::verb::get, "/api/v1/routes/x/probe");
    CHECK(r.match(get_probe).allow == "POST");
    admin_request odd;
    odd.message.method_string("FROB");
    odd.message.target("/metrics");
    CHECK(r.match(odd).kind == admin_router::match_kind::method_not_allowed);
  }

  TEST_CASE("HEAD is served by the GET route unless a HEAD route exists") {
    auto r = routes();
    auto head = make(http::verb::head, "/metrics");
    const auto m = r.match(head);
    REQUIRE(m.kind == admin_router::match_kind::matched);
    CHECK(m.handler->method == http::verb::get);
    r.add(http::verb::head, "/metrics", ok);
    auto head2 = make(http::verb::head, "/metrics");
    CHECK(r.match(head2).handler->method == http::verb::head);
    auto post_only = make(http::verb::head, "/api/v1/routes/x/probe");
    CHECK(r.match(post_only).kind == admin_router::match_kind::method_not_allowed);
  }

  TEST_CASE("the query string is split off and its parameters decoded on demand") {
    const auto r = routes();
    auto req = make(http::verb::get, "/api/v1/silences?active=true&route=team%2Fa+b&flag&x=%zz");
    REQUIRE(r.match(req).kind == admin_router::match_kind::matched);
    CHECK(req.path == "/api/v1/silences");
    CHECK(req.query_param("active") == "true");
    CHECK(req.query_param("route") == "team/a b");
    CHECK(req.query_param("flag") == "");
    CHECK_FALSE(req.query_param("missing"));
    CHECK_FALSE(req.query_param("x"));  // invalid escape: treated as absent
  }

  TEST_CASE("absolute-form targets are accepted and other forms rejected") {
    const auto r = routes();
    auto abs = make(http::verb::get, "http://localhost:9464/metrics?x=1");
    REQUIRE(r.match(abs).kind == admin_router::match_kind::matched);
    CHECK(abs.path == "/metrics");
    CHECK(abs.query == "x=1");
    auto host_only = make(http::verb::get, "http://localhost:9464");
    REQUIRE(r.match(host_only).kind == admin_router::match_kind::matched);
    CHECK(host_only.path == "/");
    for (const auto* bad : {"*", "metrics", "ftp://x/metrics", ""}) {
      CAPTURE(bad);
      auto req = make(http::verb::get, bad);
      CHECK(r.match(req).kind == admin_router::match_kind::bad_request);
    }
  }

  TEST_CASE("the first registered matching pattern wins") {
    admin_router r;
    r.add(http::verb::get, "/api/v1/routes/{name}", [](const admin_request&) {
      return text_response(http::status::ok, "param");
    });
    r.add(http::verb::get, "/api/v1/routes/special", ok);
    auto req = make(http::verb::get, "/api/v1/routes/special");
    CHECK(r.match(req).handler->pattern == "/api/v1/routes/{name}");
  }

  TEST_CASE("malformed or duplicate patterns are refused at registration") {
    admin_router r;
    r.add(http::verb::get, "/metrics", ok);
    CHECK_THROWS_AS(r.add(http::verb::get, "/metrics", ok), std::invalid_argument);
    CHECK_NOTHROW(r.add(http::verb::post, "/metrics", ok));
    CHECK_THROWS_AS(r.add(http::verb::get, "metrics", ok), std::invalid_argument);
    CHECK_THROWS_AS(r.add(http::verb::get, "", ok), std::invalid_argument);
    CHECK_THROWS_AS(r.add(http::verb::get, "/a/{}/b", ok), std::invalid_argument);
    CHECK_THROWS_AS(r.add(http::verb::get, "/a/*/b", ok), std::invalid_argument);
    CHECK_THROWS_AS(r.add(http::verb::get, "/a/x{y}", ok), std::invalid_argument);
    CHECK_THROWS_AS(r.add(http::verb::get, "/x", sync_admin_handler{}), std::invalid_argument);
    CHECK_THROWS_AS(r.add_async(http::verb::get, "/y", async_admin_handler{}),
                    std::invalid_argument);
  }

  TEST_CASE("response builders set status - type and a JSON error body") {
    const auto e = error_response(http::status::not_found, "no route \"x\"");
    CHECK(e.result() == http::status::not_found);
    CHECK(e[http::field::content_type] == "application/json");
    CHECK(nlohmann::json::parse(e.body()).at("error") == "no route \"x\"");
    // Bytes that are not UTF-8 never make the builder throw.
    const auto j = json_response(http::status::ok, {{"name", std::string("\xff\xfe")}});
    CHECK(j.result() == http::status::ok);
    const auto t = text_response(http::status::ok, "<p>", "text/html; charset=utf-8");
    CHECK(t[http::field::content_type] == "text/html; charset=utf-8");
  }
}
