#include "probes/http_url.hpp"

#include <doctest/doctest.h>

#include <string>

namespace http_url_test {

using namespace visionwatch;

TEST_SUITE("unit") {
  TEST_CASE("an https URL gives host and default port and Host header and both request forms") {
    std::string error;
    const auto t = parse_http_target("HTTPS://API.Example.COM./v1/chat?x=1", error);
    REQUIRE(t.has_value());
    CHECK(t->https);
    CHECK(t->host == "api.example.com");
    CHECK(t->port == 443);
    CHECK_FALSE(t->ip.has_value());
    CHECK(t->host_port == "api.example.com:443");
    CHECK(t->host_header == "api.example.com");
    CHECK(t->origin_form == "/v1/chat?x=1");
    CHECK(t->absolute_form == "https://api.example.com:443/v1/chat?x=1");
  }

  TEST_CASE("IP literals are recognised and IPv6 is bracketed and a non-default port is kept") {
    std::string error;
    const auto v6 = parse_http_target("http://[::1]:8080", error);
    REQUIRE(v6.has_value());
    REQUIRE(v6->ip.has_value());
    CHECK(v6->ip->is_v6());
    CHECK(v6->host == "::1");
    CHECK(v6->host_port == "[::1]:8080");
    CHECK(v6->host_header == "[::1]:8080");
    CHECK(v6->origin_form == "/");
    const auto v4 = parse_http_target("http://127.0.0.1/", error);
    REQUIRE(v4.has_value());
    CHECK(v4->ip.has_value());
    CHECK(v4->host_header == "127.0.0.1");
  }

  TEST_CASE("a URL the client cannot use says why") {
    std::string error;
    CHECK_FALSE(parse_http_target("gateway.example/v1", error).has_value());
    CHECK(error == "not an absolute URL");
    CHECK_FALSE(parse_http_target("ftp://gateway.example/", error).has_value());
    CHECK(error == "scheme must be http or https");
    CHECK_FALSE(parse_http_target("http:///v1", error).has_value());
    CHECK(error == "no host");
    CHECK_FALSE(parse_http_target("http://gateway.example:0/", error).has_value());
    CHECK(error == "invalid port");
  }
}

}  // namespace http_url_test
