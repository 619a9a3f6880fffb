#include "probes/proxy_rules.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <stdexcept>

#include "probes/text_util.hpp"

namespace proxy_rules_test {

using visionwatch::no_proxy_matches;
using visionwatch::parse_proxy_url;
using visionwatch::proxy_rules;

namespace {
proxy_rules::env_lookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    if (auto it = vars.find(name); it != vars.end()) {
      return it->second;
    }
    return std::nullopt;
  };
}

/// One NO_PROXY question: does `list` send `host`:`port` direct?
struct no_proxy_case {
  const char* list;
  const char* host;
  std::uint16_t port;
  bool matches;
};

void check_no_proxy(std::initializer_list<no_proxy_case> cases) {
  for (const auto& c : cases) {
    CAPTURE(c.list);
    CAPTURE(c.host);
    CAPTURE(c.port);
    CHECK(no_proxy_matches(c.list, c.host, c.port) == c.matches);
  }
}
}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("a proxy URL gives host and port and a basic authorization value") {
    const auto p = parse_proxy_url("http://alice:s%3Acret@Proxy.Example:3128/");
    CHECK(p.host == "proxy.example");
    CHECK(p.port == 3128);
    // base64("alice:s:cret")
    CHECK(p.authorization == "Basic YWxpY2U6czpjcmV0");
    CHECK(p.display() == "proxy.example:3128");
  }

  TEST_CASE(
      "a proxy URL without a port uses 80 and an IPv6 literal keeps its brackets in display") {
    CHECK(parse_proxy_url("http://10.0.0.1").port == 80);
    const auto p = parse_proxy_url("http://[::1]:8080");
    CHECK(p.host == "::1");
    CHECK(p.display() == "[::1]:8080");
    CHECK(p.authorization.empty());
  }

  TEST_CASE("invalid proxy URLs are rejected without echoing credentials") {
    for (const char* bad : {"socks5://u:topsecret@h:1",
                            "https://u:topsecret@h:1",
                            "http://u:topsecret@h:1/path",
                            "http://u:topsecret@:1",
                            "http://u:topsecret@h:99999",
                            "not a url topsecret"}) {
      CAPTURE(bad);
      try {
        (void)parse_proxy_url(bad);
        FAIL("accepted");
      } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()).find("topsecret") == std::string::npos);
      }
    }
  }

  TEST_CASE("NO_PROXY domain entries match the domain and its subdomains only") {
    check_no_proxy({
        {"example.com", "example.com", 443, true},
        {"example.com", "api.example.com", 443, true},
        {".example.com", "api.example.com", 443, true},
        {"*.example.com", "a.b.example.com", 443, true},
        {"EXAMPLE.com", "Api.Example.COM.", 443, true},
        {"example.com", "badexample.com", 443, false},
        {"example.com", "example.org", 443, false},
        {"api.example.com", "example.com", 443, false},
    });
  }

  TEST_CASE("NO_PROXY lists are comma separated with spaces and empty entries ignored") {
    check_no_proxy({
        {" foo.internal , ,localhost", "localhost", 80, true},
        {"foo.internal,localhost", "bar.foo.internal", 80, true},
        {"foo.internal,localhost", "gateway.example", 80, false},
        {"", "localhost", 80, false},
    });
  }

  TEST_CASE("NO_PROXY star matches every host") {
    check_no_proxy({
        {"*", "anything.example", 443, true},
        {"foo, *", "10.1.2.3", 443, true},
    });
  }

  TEST_CASE("NO_PROXY entries with a port match only that port") {
    check_no_proxy({
        {"example.com:8443", "api.example.com", 8443, true},
        {"example.com:8443", "api.example.com", 443, false},
        {"127.0.0.1:8080", "127.0.0.1", 8080, true},
        {"127.0.0.1:8080", "127.0.0.1", 8081, false},
        {"[::1]:8443", "::1", 8443, true},
        {"[::1]:8443", "::1", 443, false},
    });
  }

  TEST_CASE("NO_PROXY IP entries and networks match IP literal hosts") {
    check_no_proxy({
        {"127.0.0.1", "127.0.0.1", 80, true},
        {"127.0.0.1", "127.0.0.2", 80, false},
        {"10.0.0.0/8", "10.200.3.4", 80, true},
        {"10.0.0.0/8", "11.0.0.1", 80, false},
        {"::1", "::1", 80, true},
        {"::1", "[::1]", 80, true},
        {"0:0::1", "::1", 80, true},
        {"fd00::/8", "fd12::5", 80, true},
        {"fd00::/8", "fe80::1", 80, false},
        // An IP entry never matches a name and a name never matches an IP.
        {"127.0.0.1", "localhost", 80, false},
        {"localhost", "127.0.0.1", 80, false},
    });
  }

  TEST_CASE("environment proxies are chosen per scheme and upper case wins") {
    const auto rules = proxy_rules::make("",
                                         true,
                                         fake_env({{"HTTPS_PROXY", "http://secure:3128"},
                                                   {"https_proxy", "http://ignored:1"},
                                                   {"http_proxy", "http://plain:8080"}}));
    const auto* https = rules.select(true, "api.example.com", 443);
    REQUIRE(https != nullptr);
    CHECK(https->host == "secure");
    const auto* plain = rules.select(false, "api.example.com", 80);
    REQUIRE(plain != nullptr);
    CHECK(plain->host == "plain");
    CHECK(plain->port == 8080);
  }

  TEST_CASE("NO_PROXY from the environment bypasses the environment proxy") {
    const auto rules = proxy_rules::make(
        "",
        true,
        fake_env({{"HTTPS_PROXY", "http://p:3128"}, {"no_proxy", "internal.example,127.0.0.1"}}));
    CHECK(rules.select(true, "gw.internal.example", 443) == nullptr);
    CHECK(rules.select(true, "127.0.0.1", 443) == nullptr);
    CHECK(rules.select(true, "api.example.com", 443) != nullptr);
    // No HTTP_PROXY: plain http goes direct.
    CHECK(rules.select(false, "api.example.com", 80) == nullptr);
  }

  TEST_CASE("an explicit proxy URL applies to both schemes and ignores NO_PROXY") {
    const auto rules = proxy_rules::make(
        "http://explicit:3128", true, fake_env({{"NO_PROXY", "*"}, {"HTTPS_PROXY", "http://e:1"}}));
    REQUIRE(rules.select(true, "x.example", 443) != nullptr);
    CHECK(rules.select(true, "x.example", 443)->host == "explicit");
    CHECK(rules.select(false, "x.example", 80)->host == "explicit");
  }

  TEST_CASE("the environment is ignored when use_env_proxy is off") {
    const auto rules = proxy_rules::make("", false, fake_env({{"HTTPS_PROXY", "http://p:3128"}}));
    CHECK(rules.select(true, "x.example", 443) == nullptr);
  }

  TEST_CASE("an invalid environment proxy names the variable but not its value") {
    const auto rules =
        proxy_rules::make("", true, fake_env({{"HTTPS_PROXY", "ftp://u:hunter2@x"}}));
    const std::string* error = rules.error_for(true, "x.example", 443);
    REQUIRE(error != nullptr);
    CHECK(error->find("HTTPS_PROXY") != std::string::npos);
    CHECK(error->find("hunter2") == std::string::npos);
  }

  TEST_CASE("a proxy value without a scheme means http as in curl") {
    CHECK(parse_proxy_url("127.0.0.1:3128") == parse_proxy_url("http://127.0.0.1:3128"));
    const auto p = parse_proxy_url("alice:pw@proxy.example:8080");
    CHECK(p.host == "proxy.example");
    CHECK(p.port == 8080);
    CHECK(p.authorization == "Basic " + visionwatch::base64_encode("alice:pw"));
    const auto rules = proxy_rules::make("", true, fake_env({{"HTTPS_PROXY", "127.0.0.1:3128"}}));
    REQUIRE(rules.select(true, "api.example", 443) != nullptr);
    CHECK(rules.select(true, "api.example", 443)->display() == "127.0.0.1:3128");
    CHECK(rules.error_for(true, "api.example", 443) == nullptr);
  }

  TEST_CASE("a SOCKS proxy is rejected with a clear error") {
    try {
      (void)parse_proxy_url("socks5://u:topsecret@h:1080");
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      CHECK(what.find("SOCKS proxies are not supported") != std::string::npos);
      CHECK(what.find("topsecret") == std::string::npos);
    }
  }

  TEST_CASE("a bad environment proxy breaks only the targets that would use it") {
    const auto rules = proxy_rules::make(
        "",
        true,
        fake_env({{"HTTPS_PROXY", "socks5://u:hunter2@p:1080"}, {"NO_PROXY", "internal.example"}}));
    CHECK(rules.error_for(true, "api.example", 443) != nullptr);
    CHECK(rules.error_for(false, "api.example", 80) == nullptr);
    CHECK(rules.error_for(true, "internal.example", 443) == nullptr);
    CHECK(rules.select(true, "api.example", 443) == nullptr);
    const auto http_rules =
        proxy_rules::make("", true, fake_env({{"http_proxy", "http://u:hunter2@:1"}}));
    const std::string* error = http_rules.error_for(false, "api.example", 80);
    REQUIRE(error != nullptr);
    CHECK(error->starts_with("http_proxy: "));
    CHECK(error->find("hunter2") == std::string::npos);
    CHECK(http_rules.error_for(true, "api.example", 443) == nullptr);
  }

  TEST_CASE("an invalid explicit proxy URL is still a start-up error") {
    CHECK_THROWS_AS((void)proxy_rules::make("socks5://p:1080", true, fake_env({})),
                    std::invalid_argument);
  }
}

}  // namespace proxy_rules_test
