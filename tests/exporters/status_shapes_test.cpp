// A route's shapes as /api/v1/routes and the status page show them: a row per shape only when
// the route has more than plain, the summary naming the failing shape, the card marked by it.
#include <doctest/doctest.h>

#include <string>

#include "exporters/status.hpp"

using namespace visionwatch;
using namespace std::chrono_literals;

namespace {

probe_result probe(probe_shape shape, outcome o, std::string reason = {}) {
  probe_result p;
  p.route = "r1";
  p.shape = shape;
  p.result = o;
  p.reason = std::move(reason);
  p.http_status = 200;
  p.started_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  return p;
}

shape_view row(std::string shape,
               std::optional<outcome> last,
               std::string reason = {},
               std::size_t probes = 0,
               std::optional<double> ratio = std::nullopt) {
  shape_view v;
  v.shape = std::move(shape);
  v.last = last;
  v.reason = std::move(reason);
  v.window_probes = probes;
  v.success_ratio = ratio;
  return v;
}

/// Route r1 probing plain and tools; tools loses the image, and its probe was the last but one.
status_view tools_failing() {
  status_view s;
  route_view r;
  r.route = "r1";
  r.interval = 60s;
  r.recent = {probe(probe_shape::plain, outcome::ok),
              probe(probe_shape::tools,
                    outcome::no_image_claim,
                    "fails only with tools: the reply says there is no image")};
  r.shapes = {row("plain", outcome::ok, {}, 5, 1.0),
              row("tools",
                  outcome::no_image_claim,
                  "fails only with tools: the reply says there is no image",
                  5,
                  0.0)};
  r.shapes[1].baseline_prompt_tokens = 140;
  r.shapes_summary = "fails only with tools: no_image_claim";
  s.routes.push_back(r);
  return s;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the JSON names each probe's shape and lists the route's shapes with the summary") {
    const auto j = status_json(tools_failing())["routes"][0];
    CHECK(j["results"][0]["shape"] == "plain");
    CHECK(j["results"][1]["shape"] == "tools");
    CHECK(j["shapes_summary"] == "fails only with tools: no_image_claim");
    REQUIRE(j["shapes"].size() == 2);
    CHECK(j["shapes"][0]["shape"] == "plain");
    CHECK(j["shapes"][0]["outcome"] == "ok");
    CHECK(j["shapes"][0]["reason"].is_null());
    CHECK(j["shapes"][1]["outcome"] == "no_image_claim");
    CHECK(j["shapes"][1]["reason"] == "fails only with tools: the reply says there is no image");
    CHECK(j["shapes"][1]["window_probes"] == 5);
    CHECK(j["shapes"][1]["success_ratio"] == 0.0);
    CHECK(j["shapes"][1]["baseline_prompt_tokens"] == 140);
    CHECK(probe_result_json(probe(probe_shape::jpeg, outcome::ok))["shape"] == "jpeg");
  }

  TEST_CASE("the page shows a row per shape and keeps the card red while one shape fails") {
    const auto html = status_html(tools_failing());
    CHECK(html.find("shape plain") != std::string::npos);
    CHECK(html.find("shape tools") != std::string::npos);
    CHECK(html.find("fails only with tools: no_image_claim") != std::string::npos);
    // The last probe (plain) passed, but the card shows the failing shape's colour.
    CHECK(html.find("<tr class=\"route silent\">") != std::string::npos);
    CHECK(html.find("0 healthy · 1 silently failing") != std::string::npos);
    CHECK(html.find("0.0 % of 5") != std::string::npos);
    CHECK(html.find("(tools)") != std::string::npos);  // the dots name their shape
  }

  TEST_CASE("a route of plain only shows no shape rows: the default page is as it was") {
    auto s = tools_failing();
    auto& r = s.routes[0];
    r.recent = {probe(probe_shape::plain, outcome::ok)};
    r.shapes = {row("plain", outcome::ok, {}, 5, 1.0)};
    r.shapes_summary.clear();
    const auto html = status_html(s);
    CHECK(html.find("shape plain") == std::string::npos);
    CHECK(html.find("class=\"shapes\"") == std::string::npos);
    CHECK(html.find("(plain)") == std::string::npos);
    CHECK(html.find("<tr class=\"route ok\">") != std::string::npos);
    // Without any shape list (a view built before shapes) the page is the same.
    auto bare = s;
    bare.routes[0].shapes.clear();
    CHECK(status_html(bare) == html);
    CHECK(status_json(s)["routes"][0]["shapes_summary"].is_null());
  }

  TEST_CASE("a shape not probed yet shows as such and does not colour the card") {
    auto s = tools_failing();
    auto& r = s.routes[0];
    r.shapes[1] = row("tools", std::nullopt);
    r.recent.pop_back();
    r.shapes_summary.clear();
    const auto html = status_html(s);
    CHECK(html.find("<tr class=\"route ok\">") != std::string::npos);
    CHECK(html.find("no probe yet") != std::string::npos);
    CHECK(status_json(s)["routes"][0]["shapes"][1]["outcome"].is_null());
  }
}
