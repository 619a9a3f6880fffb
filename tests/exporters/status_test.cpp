#include "exporters/status.hpp"

#include <doctest/doctest.h>

using namespace visionwatch;

namespace {
status_view sample() {
  status_view s;
  s.version = "0.1.0";
  s.revision = "abc";
  route_view r;
  r.route = "gw/<script>alert(1)</script>";
  r.model = "m\"odel";
  r.gateway = "gw";
  r.api = "openai-chat";
  r.challenge = "digits";
  r.interval = std::chrono::seconds(30);
  r.window.probes = 2;
  r.window.success_ratio = 0.5;
  probe_result bad;
  bad.route = r.route;
  bad.result = outcome::no_image_claim;
  bad.reason = "reply claims no image: \"No image provided.\" <b>";
  bad.http_status = 200;
  bad.seed = 18446744073709551615ull;
  bad.answer_excerpt = "No image provided.";
  probe_result good;
  good.result = outcome::ok;
  r.recent = {bad, good};
  s.routes.push_back(r);
  return s;
}
}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the status JSON carries each route's results newest first with seeds as strings") {
    const auto j = status_json(sample());
    REQUIRE(j["routes"].size() == 1);
    const auto& r = j["routes"][0];
    CHECK(r["route"] == "gw/<script>alert(1)</script>");
    CHECK(r["window"]["success_ratio"] == doctest::Approx(0.5));
    CHECK(r["results"][0]["outcome"] == "no_image_claim");
    CHECK(r["results"][0]["silent"] == true);
    CHECK(r["results"][0]["seed"] == "18446744073709551615");
    CHECK(r["results"][1]["outcome"] == "ok");
    CHECK(r["baseline_prompt_tokens"].is_null());
  }

  TEST_CASE("the status page escapes every name and reason") {
    const auto html = status_html(sample());
    CHECK(html.find("<script>") == std::string::npos);
    CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
    CHECK(html.find("m&quot;odel") != std::string::npos);
    CHECK(html.find("&lt;b&gt;") != std::string::npos);
    CHECK(html.find("no_image_claim") != std::string::npos);
    CHECK(html.find("1 silently failing") != std::string::npos);
  }

  TEST_CASE("a streamed last probe shows its time to first token on the page and in the JSON") {
    auto s = sample();
    auto& r = s.routes[0];
    CHECK(status_html(s).find("time to first token") == std::string::npos);
    CHECK(status_json(s)["routes"][0]["results"][0]["phases"]["first_token"].is_null());
    r.recent[0].phases.first_token = 0.42;
    CHECK(status_html(s).find("<tr><td>time to first token</td><td>0.42 s</td></tr>") !=
          std::string::npos);
    CHECK(status_json(s)["routes"][0]["results"][0]["phases"]["first_token"] ==
          doctest::Approx(0.42));
  }

  TEST_CASE("the status page has no external assets") {
    const auto html = status_html(sample());
    CHECK(html.find("http://") == std::string::npos);
    CHECK(html.find("https://") == std::string::npos);
    CHECK(html.find("<script") == std::string::npos);
  }

  TEST_CASE("html_escape covers the five special characters") {
    CHECK(html_escape("<a href=\"x\">'&'</a>") ==
          "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  }
}
