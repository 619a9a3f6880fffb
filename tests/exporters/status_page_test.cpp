#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "exporters/status.hpp"

using namespace visionwatch;

namespace {

route_view view(const std::string& name, outcome o) {
  route_view r;
  r.route = name;
  r.model = "gpt-4o";
  r.gateway = "gw";
  r.api = "openai-chat";
  r.challenge = "digits";
  r.interval = std::chrono::seconds(60);
  probe_result p;
  p.route = name;
  p.result = o;
  p.http_status = 200;
  p.latency_seconds = 1.25;
  r.recent = {p};
  r.window.probes = 1;
  return r;
}

/// 10,000 routes' keys; the page's views come from `make`.
struct big_fleet {
  std::vector<std::string> names;
  std::vector<route_key> keys;
  explicit big_fleet(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      names.push_back("route-" + std::to_string(100000 + i));
    }
    for (std::size_t i = 0; i < n; ++i) {
      route_key k;
      k.name = names[i];
      k.gateway = i % 2 == 0 ? "even" : "odd";
      k.model = "m";
      k.health = i % 100 == 0 ? route_health::silent : route_health::ok;
      k.last = i % 100 == 0 ? outcome::wrong_answer : outcome::ok;
      keys.push_back(k);
    }
  }
};

/// A page of `shown` out of a fleet that the listing describes.
status_view page(std::vector<route_view> shown, route_query q, route_page p) {
  status_view s;
  s.version = "0.1.0";
  s.routes = std::move(shown);
  s.listing = route_listing{std::move(q), std::move(p), {"gw", "other <gw>"}};
  return s;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("a page builds views only for the routes it shows") {
    const big_fleet fleet(10'000);
    route_query q;
    std::vector<std::size_t> built;
    auto make = [&](std::size_t i) {
      built.push_back(i);
      return view(fleet.names[i], fleet.keys[i].last.value_or(outcome::ok));
    };
    auto v = paged_view({}, q, fleet.keys, make, {"even", "odd"});
    CHECK(built.size() == 100);
    CHECK(v.routes.size() == 100);
    CHECK(v.listing->page.shown == built);
    CHECK(v.listing->page.matching == 10'000);
    CHECK(v.routes.front().route == "route-100000");  // the silent ones first
    CHECK(v.listing->page.counts.of(state_filter::silent) == 100);

    built.clear();
    q.gateway = "odd";
    q.limit = 3;
    v = paged_view({}, q, fleet.keys, make, {});
    CHECK(built.size() == 3);
    for (const auto i : built) {
      CHECK(fleet.keys[i].gateway == "odd");
    }
    const auto json = status_json(v);
    CHECK(json["routes"].size() == 3);
    CHECK(json["total_routes"] == 10'000);
    CHECK(json["matching_routes"] == 5'000);
    CHECK(json["limit"] == 3);
    CHECK(json["next_cursor"].is_string());
    CHECK(json["prev_cursor"].is_null());
  }

  TEST_CASE("the JSON names each route's state and alert state and counts the fleet by state") {
    auto r = view("a", outcome::no_image_claim);
    // {rule, state, silenced, pending, since}
    alert_view firing{"silent_failure", "firing", false, false, std::nullopt};
    const alert_view counting{"success_ratio", "inactive", false, true, std::nullopt};
    r.alerts = {firing, counting};
    r.retrying = true;
    route_page p;
    p.matching = 1;
    p.offset = 0;
    p.counts.add(key_of(r));
    p.next_cursor = "abc";
    route_query q;
    q.sort = route_sort::name;
    const auto j = status_json(page({r}, q, p));
    CHECK(j["routes"][0]["state"] == "silent");
    CHECK(j["routes"][0]["alert_state"] == "firing");
    CHECK(j["routes"][0]["alerts"][1]["pending"] == true);
    CHECK(j["counts"]["silent"] == 1);
    CHECK(j["counts"]["failing"] == 1);
    CHECK(j["counts"]["retrying"] == 1);
    CHECK(j["counts"]["ok"] == 0);
    CHECK(j["sort"] == "name");
    CHECK(j["next_cursor"] == "abc");
    CHECK(j["offset"] == 0);
    firing.silenced = true;
    r.alerts = {firing};
    CHECK(route_json(r)["alert_state"] == "silenced");
    r.alerts = {counting};
    CHECK(route_json(r)["alert_state"] == "pending");
    r.alerts.clear();
    r.recent.clear();
    CHECK(route_json(r)["alert_state"] == "inactive");
    CHECK(route_json(r)["state"] == "unprobed");
  }

  TEST_CASE("the page counts the whole fleet in its header and says which routes it shows") {
    route_page p;
    for (int i = 0; i < 9'990; ++i) {
      route_key k;
      k.health = route_health::ok;
      p.counts.add(k);
    }
    for (int i = 0; i < 10; ++i) {
      route_key k;
      k.health = route_health::error;
      p.counts.add(k);
    }
    p.matching = 250;
    p.offset = 100;
    p.next_cursor = "NEXT";
    p.prev_cursor = "PREV";
    route_query q;
    q.state = state_filter::failing;
    q.text = "a\"b<c>&d";
    const auto html =
        status_html(page({view("x", outcome::http_5xx), view("y", outcome::ok)}, q, p));
    CHECK(html.find("10000 routes · 9990 healthy · 0 silently failing · 10 failing with errors") !=
          std::string::npos);
    CHECK(html.find("routes 101–102 of 250 matching") != std::string::npos);
    // Links keep the filters, change the cursor, and are escaped for the attribute.
    CHECK(html.find(R"(href="?state=failing&amp;q=a%22b%3Cc%3E%26d&amp;cursor=NEXT">next ›</a>)") !=
          std::string::npos);
    CHECK(html.find(
              R"(href="?state=failing&amp;q=a%22b%3Cc%3E%26d&amp;cursor=PREV">‹ previous</a>)") !=
          std::string::npos);
    CHECK(html.find(R"(href="?state=failing&amp;q=a%22b%3Cc%3E%26d">« first</a>)") !=
          std::string::npos);
    // The form shows the query, escaped, and the state counts.
    CHECK(html.find(R"(<input name="q" value="a&quot;b&lt;c&gt;&amp;d">)") != std::string::npos);
    CHECK(html.find(R"(<option value="failing" selected>failing (10)</option>)") !=
          std::string::npos);
    CHECK(html.find(R"(<option value="other &lt;gw&gt;">other &lt;gw&gt;</option>)") !=
          std::string::npos);
    CHECK(html.find("<form class=\"filters\" method=\"get\">") != std::string::npos);
    // Column heads sort from page one: no cursor in their links.
    CHECK(
        html.find(
            R"(<th><a href="?state=failing&amp;q=a%22b%3Cc%3E%26d&amp;sort=name">route</a></th>)") !=
        std::string::npos);
    CHECK(
        html.find(
            R"(<th class="sorted"><a href="?state=failing&amp;q=a%22b%3Cc%3E%26d">state ▾</a></th>)") !=
        std::string::npos);
    CHECK(html.find("<tr class=\"route fail\">") < html.find("<tr class=\"route ok\">"));
    CHECK(html.find("a\"b<c>") == std::string::npos);
    CHECK(html.find("<script") == std::string::npos);
  }

  TEST_CASE("the first page has no previous link and the last no next link") {
    route_page p;
    p.matching = 1;
    const auto html = status_html(page({view("x", outcome::ok)}, {}, p));
    CHECK(html.find("routes 1–1 of 1 matching") != std::string::npos);
    CHECK(html.find("next ›") == std::string::npos);
    CHECK(html.find("previous") == std::string::npos);
    CHECK(html.find("« first") == std::string::npos);
    route_page empty;
    CHECK(status_html(page({}, {}, empty)).find("no route matches") != std::string::npos);
  }

  TEST_CASE("a refused query gets a page with the reason escaped and a way back") {
    const auto html = status_error_html("limit must be <1000>");
    CHECK(html.find("limit must be &lt;1000&gt;") != std::string::npos);
    CHECK(html.find(R"(<a href="?">)") != std::string::npos);
    CHECK(html.find("http-equiv=\"refresh\"") == std::string::npos);
  }
}
