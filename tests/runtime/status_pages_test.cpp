// GET /api/v1/routes, /api/v1/routes/{name} and the status page of a service in this process
// with 150 routes, their results recorded through the probe path (service::record_result), read
// over loopback HTTP as a script or a browser would: pages and cursors, filters, the 400s of bad
// queries, one route by name. The routes' interval is a year, so the scheduler probes none of
// them while a test runs.
#include <doctest/doctest.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "daemon/runtime/service.hpp"
#include "tests/runtime/running_service.hpp"
#include "tests/support/raw_http_client.hpp"
#include "tests/support/scoped_temp_dir.hpp"
#include "tests/support/test_paths.hpp"

namespace {

namespace vt = visionwatch::test;
namespace net = boost::asio;
using namespace std::chrono_literals;
using nlohmann::json;
using visionwatch::outcome;
using visionwatch::probe_result;

constexpr std::size_t route_count = 150;

std::string name_of(std::size_t i) {
  return "team/r" + std::to_string(1000 + i);  // a '/' in every name: %2F in a path
}

std::string config_text(const std::filesystem::path& state) {
  std::string y = "global:\n  listen: \"127.0.0.1:0\"\n  shutdown_grace: 1s\n  state_dir: \"" +
                  state.string() + "\"\n";
  y += "defaults:\n  interval: 365d\n  timeout: 5s\n";
  y += "gateways:\n";
  for (const auto* g : {"gw-a", "gw-b"}) {
    y += std::string("  - {name: ") + g +
         ", base_url: \"http://127.0.0.1:9/v1\", api: openai-chat, proxy_url: none}\n";
  }
  y += "routes:\n";
  for (std::size_t i = 0; i < route_count; ++i) {
    y += "  - {name: \"" + name_of(i) + "\", gateway: " + (i % 2 == 0 ? "gw-a" : "gw-b") +
         ", model: m" + std::to_string(i % 3) + "}\n";
  }
  return y;
}

class fleet_service {
 public:
  fleet_service()
      : dir_("vw-status-pages"),
        svc_(vt::parse_config_or_fail(config_text(dir_.path / "state")), options()) {}

  /// A finished probe of route `i` with `o`, recorded on the service's thread.
  void record(std::size_t i, outcome o) {
    probe_result r;
    r.result = o;
    r.http_status = o == outcome::http_5xx ? 502 : 200;
    r.latency_seconds = 0.5 + static_cast<double>(i % 10);
    r.started_at = std::chrono::system_clock::now();
    if (o != outcome::ok) {
      r.reason = "failed <on purpose>";
    }
    std::promise<bool> done;
    auto recorded = done.get_future();
    net::post(svc_.io(), [&] { done.set_value(svc_.svc().record_result(name_of(i), r)); });
    REQUIRE(recorded.wait_for(10s) == std::future_status::ready);
    CHECK(recorded.get());
  }

  [[nodiscard]] vt::raw_response get(const std::string& target) const {
    return vt::loopback_request(svc_.svc().admin_port(), "GET", target);
  }
  [[nodiscard]] json get_json(const std::string& target) const {
    const auto r = get(target);
    CHECK(r.status == 200);
    return json::parse(r.body, nullptr, false);
  }

 private:
  static visionwatch::service_options options() {
    visionwatch::service_options o;
    o.handle_signals = false;
    return o;
  }
  vt::scoped_temp_dir dir_;  // removed after the service below has stopped
  vt::service_thread svc_;
};

std::vector<std::string> page_route_names(const json& page) {
  std::vector<std::string> out;
  out.reserve(page["routes"].size());
  for (const auto& r : page["routes"]) {
    out.push_back(r.value("route", ""));
  }
  return out;
}

/// Every route of `query`, walking next_cursor; `between` runs after each page.
template <typename Between>
std::vector<std::string> walk(const fleet_service& s, const std::string& query, Between between) {
  std::vector<std::string> seen;
  std::string cursor;
  for (int pages = 0; pages < 100; ++pages) {
    std::string target = "/api/v1/routes?";
    target += query;
    target += "&cursor=";
    target += cursor;
    const auto page = s.get_json(target);
    for (const auto& n : page_route_names(page)) {
      seen.push_back(n);
    }
    if (!page["next_cursor"].is_string()) {
      return seen;
    }
    cursor = page["next_cursor"].get<std::string>();
    between();
  }
  FAIL("the walk did not end");
  return seen;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("the route list pages 150 routes by 100 with failing ones first") {
    fleet_service s;
    s.record(7, outcome::http_5xx);
    s.record(42, outcome::no_image_claim);
    s.record(3, outcome::ok);
    const auto first = s.get_json("/api/v1/routes");
    CHECK(first["total_routes"] == route_count);
    CHECK(first["matching_routes"] == route_count);
    CHECK(first["limit"] == 100);
    REQUIRE(first["routes"].size() == 100);
    const auto names = page_route_names(first);
    CHECK(names[0] == name_of(7));  // the error, then the silent failure
    CHECK(names[1] == name_of(42));
    CHECK(first["routes"][0]["state"] == "error");
    CHECK(first["routes"][1]["state"] == "silent");
    CHECK(first["routes"][2]["state"] == "unprobed");
    CHECK(first["counts"]["failing"] == 2);
    CHECK(first["counts"]["ok"] == 1);
    CHECK(first["counts"]["unprobed"] == route_count - 3);
    CHECK(first["prev_cursor"].is_null());
    REQUIRE(first["next_cursor"].is_string());
    const auto second =
        s.get_json("/api/v1/routes?cursor=" + first["next_cursor"].get<std::string>());
    CHECK(second["routes"].size() == route_count - 100);
    CHECK(second["offset"] == 100);
    CHECK(second["next_cursor"].is_null());
    CHECK(second["routes"].back()["route"] == name_of(3));  // the healthy one last
    std::set<std::string> all(names.begin(), names.end());
    for (const auto& n : page_route_names(second)) {
      CHECK(all.insert(n).second);
    }
    CHECK(all.size() == route_count);
    // The existing fields are all still there.
    for (const auto* key : {"version",
                            "revision",
                            "started_at",
                            "now",
                            "config_last_reload_successful",
                            "shard",
                            "shards",
                            "gateway_warnings",
                            "budget"}) {
      CHECK(first.contains(key));
    }
  }

  TEST_CASE("routes unchanged while others fail between pages are listed exactly once") {
    fleet_service s;
    std::set<std::string> changed;
    std::size_t next = 0;
    const auto seen = walk(s, "limit=9", [&] {
      // Routes still ahead and already behind turn failing: they move to the front.
      for (const std::size_t i : {next * 11 % route_count, (next * 17 + 5) % route_count}) {
        s.record(i, outcome::wrong_answer);
        changed.insert(name_of(i));
      }
      ++next;
    });
    std::map<std::string, int> times;
    for (const auto& n : seen) {
      ++times[n];
    }
    for (std::size_t i = 0; i < route_count; ++i) {
      if (!changed.contains(name_of(i))) {
        CAPTURE(name_of(i));
        CHECK(times[name_of(i)] == 1);
      }
    }
  }

  TEST_CASE("filters select by state gateway model outcome alert and name") {
    fleet_service s;
    for (std::size_t i = 0; i < 20; ++i) {
      s.record(i, i % 2 == 0 ? outcome::wrong_answer : outcome::ok);
    }
    s.record(30, outcome::timeout);
    auto matching = [&s](const std::string& q) {
      return s.get_json("/api/v1/routes?" + q)["matching_routes"].get<std::size_t>();
    };
    CHECK(matching("state=failing") == 11);
    CHECK(matching("state=silent") == 10);
    CHECK(matching("state=error") == 1);
    CHECK(matching("state=ok") == 10);
    CHECK(matching("state=retrying") == 11);  // every failed route is in retry mode
    CHECK(matching("state=unprobed") == route_count - 21);
    CHECK(matching("gateway=gw-a") == route_count / 2);
    CHECK(matching("gateway=gw-a&model=m0") == route_count / 6);
    CHECK(matching("outcome=wrong_answer") == 10);
    CHECK(matching("outcome=wrong_answer&gateway=gw-b") == 0);  // the even routes are on gw-a
    CHECK(matching("q=TEAM%2FR100") == 10);                     // r1000 .. r1009
    CHECK(matching("gateway=nowhere") == 0);
    // A second silent failure in a row fires silent_failure; one is pending.
    s.record(0, outcome::wrong_answer);
    CHECK(matching("alert=firing") == 1);
    const auto firing = s.get_json("/api/v1/routes?alert=firing");
    CHECK(firing["routes"][0]["route"] == name_of(0));
    CHECK(firing["routes"][0]["alert_state"] == "firing");
    const auto page = s.get("/?state=silent&gateway=gw-a&limit=3");
    CHECK(page.status == 200);
    CHECK(page.body.find("routes 1–3 of 10 matching") != std::string::npos);
    CHECK(page.body.find("next ›") != std::string::npos);
    CHECK(page.body.find("failed &lt;on purpose&gt;") != std::string::npos);
  }

  TEST_CASE("bad queries get a 400 with a reason and never a partial page") {
    fleet_service s;
    for (const auto& [query, reason] : std::vector<std::pair<std::string, std::string>>{
             {"?limit=0", "limit must be a whole number from 1 to 1000"},
             {"?limit=100000000000000000000000", "limit must be a whole number from 1 to 1000"},
             {"?state=down", "state must be one of"},
             {"?outcome=meh", "outcome must be an outcome name"},
             {"?alert=loud", "alert must be one of"},
             {"?sort=size", "sort must be one of"},
             {"?cursor=%25%25%25", "cursor is not one this server gave out"},
             {"?cursor=bm9wZQ", "cursor is not one this server gave out"},
             {"?bogus=1", "unknown query parameter"},
             {"?limit=5&limit=6", "given more than once"},
             {"?model=%zz", "invalid percent-encoding in the query"},
             {"?model=a%00b", "invalid percent-encoding in the query"},
             {"?model=%FF%FE", "is not valid UTF-8"},
         }) {
      CAPTURE(query);
      const auto api = s.get("/api/v1/routes" + query);
      CHECK(api.status == 400);
      CHECK(api.header("content-type") == "application/json");
      const auto j = json::parse(api.body, nullptr, false);
      REQUIRE(j.is_object());
      CHECK(j.value("error", "").find(reason) != std::string::npos);
      CHECK(!j.contains("routes"));
      const auto page = s.get("/" + query);
      CHECK(page.status == 400);
      CHECK(page.header("content-type").starts_with("text/html"));
      CHECK(page.body.find("<table class=\"routes\"") == std::string::npos);
    }
    // A cursor of another sort is refused, and so is a query on the one-route endpoint.
    const auto by_name = s.get_json("/api/v1/routes?sort=name&limit=5");
    const auto cursor = by_name["next_cursor"].get<std::string>();
    const auto other = s.get("/api/v1/routes?sort=latency&cursor=" + cursor);
    CHECK(other.status == 400);
    CHECK(other.body.find("cursor belongs to sort=name") != std::string::npos);
    CHECK(s.get("/api/v1/routes/" + std::string("team%2Fr1000") + "?x=1").status == 400);
  }

  TEST_CASE("one route by its percent-encoded name is the same object as in the list") {
    fleet_service s;
    s.record(12, outcome::no_image_claim);
    const auto one = s.get_json("/api/v1/routes/team%2Fr1012");
    CHECK(one["route"] == name_of(12));
    CHECK(one["state"] == "silent");
    REQUIRE(one["results"].size() == 1);
    CHECK(one["results"][0]["outcome"] == "no_image_claim");
    CHECK(s.get_json("/api/v1/routes?limit=1")["routes"][0] == one);
    const auto missing = s.get("/api/v1/routes/team%2Fnone");
    CHECK(missing.status == 404);
    CHECK(json::parse(missing.body, nullptr, false).value("error", "") ==
          "no route named 'team/none'");
    CHECK(s.get("/api/v1/routes/team/r1012").status == 404);  // a literal '/' is two segments
  }
}
