#include "exporters/status_query.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "daemon/admin/admin_router.hpp"

using namespace visionwatch;

namespace {

using params = std::vector<std::pair<std::string, std::string>>;

route_query parsed(const params& p) {
  const auto r = parse_route_query(p);
  INFO(r.error);
  REQUIRE(r.query);
  return *r.query;
}

std::string refused(const params& p) {
  const auto r = parse_route_query(p);
  CHECK_FALSE(r.query);
  return r.error;
}

/// A fleet of named routes; each keeps its own strings so keys may point into them.
struct fleet {
  struct route {
    std::string name;
    std::string gateway;
    std::string model;
    route_health health = route_health::ok;
    std::optional<outcome> last;
    std::int64_t last_s = 0;
    double latency = 0;
    bool retrying = false;
    alert_level alert = alert_level::inactive;
  };
  std::vector<route> routes;

  [[nodiscard]] std::vector<route_key> keys() const {
    std::vector<route_key> out;
    for (const auto& r : routes) {
      route_key k;
      k.name = r.name;
      k.gateway = r.gateway;
      k.model = r.model;
      k.health = r.health;
      k.last = r.last;
      k.last_at = std::chrono::system_clock::time_point(std::chrono::seconds(r.last_s));
      k.last_latency_seconds = r.latency;
      k.retrying = r.retrying;
      k.alert = r.alert;
      out.push_back(k);
    }
    return out;
  }
};

/// n routes "r000", "r001", ...: every 7th fails loudly, every 5th silently (35: loudly), every
/// 11th was never probed; gateways g0..g2, models m0..m3.
fleet sample_fleet(std::size_t n) {
  fleet f;
  for (std::size_t i = 0; i < n; ++i) {
    fleet::route r;
    std::string name = std::to_string(i);
    r.name = "r" + std::string(3 - std::min<std::size_t>(3, name.size()), '0') + name;
    r.gateway = "g" + std::to_string(i % 3);
    r.model = "m" + std::to_string(i % 4);
    if (i % 11 == 0) {
      r.health = route_health::unprobed;
    } else if (i % 7 == 0) {
      r.health = route_health::error;
      r.last = outcome::http_5xx;
      r.retrying = true;
      r.alert = alert_level::firing;
    } else if (i % 5 == 0) {
      r.health = route_health::silent;
      r.last = outcome::wrong_answer;
      r.alert = alert_level::pending;
    } else {
      r.last = outcome::ok;
    }
    if (r.last) {
      r.last_s = 1'700'000'000 + static_cast<std::int64_t>((i * 37) % 101);
      r.latency = 0.1 + static_cast<double>((i * 13) % 17);
    }
    f.routes.push_back(r);
  }
  return f;
}

std::vector<std::string> names_of(const fleet& f, const route_page& p) {
  std::vector<std::string> out;
  out.reserve(p.shown.size());
  for (const auto i : p.shown) {
    out.push_back(f.routes[i].name);
  }
  return out;
}

/// Every page of `q`, walking next_cursor (rebuilding the keys before each page, so `between`
/// may change the fleet): the names in the order shown.
template <typename Between>
std::vector<std::string> walk(fleet& f, route_query q, Between between) {
  std::vector<std::string> seen;
  for (int pages = 0; pages < 10'000; ++pages) {
    const auto keys = f.keys();
    const auto page = select_page(keys, q);
    for (const auto& n : names_of(f, page)) {
      seen.push_back(n);
    }
    if (!page.next_cursor) {
      return seen;
    }
    q.cursor = decode_cursor(*page.next_cursor);
    REQUIRE(q.cursor);
    between(f);
  }
  FAIL("the walk did not end");
  return seen;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("an empty query lists every route failing first by 100 with no cursor") {
    const auto q = parsed({});
    CHECK(q.state == state_filter::all);
    CHECK(q.sort == route_sort::status);
    CHECK(q.limit == 100);
    CHECK_FALSE(q.cursor);
    CHECK(q.gateway.empty());
    CHECK_FALSE(q.last_outcome);
    CHECK_FALSE(q.alert);
  }

  TEST_CASE("every parameter is read and empty values from a form count as absent") {
    const params every = {{"state", "failing"},
                          {"gateway", "open router"},
                          {"model", "gpt-4o"},
                          {"outcome", "no_image_claim"},
                          {"alert", "pending"},
                          {"q", "Team/"},
                          {"sort", "latency"},
                          {"limit", "1000"}};
    const auto q = parsed(every);
    CHECK(q.state == state_filter::failing);
    CHECK(q.gateway == "open router");
    CHECK(q.model == "gpt-4o");
    CHECK(q.last_outcome == outcome::no_image_claim);
    CHECK(q.alert == alert_level::pending);
    CHECK(q.text == "Team/");
    CHECK(q.sort == route_sort::latency);
    CHECK(q.limit == 1000);
    // The same form submitted with every field (the cursor too) left empty.
    params empty_form = every;
    empty_form.emplace_back("cursor", "");
    for (auto& [name, value] : empty_form) {
      value.clear();
    }
    const auto blank = parsed(empty_form);
    CHECK(blank.state == state_filter::all);
    CHECK(blank.limit == route_query::default_limit);
    CHECK_FALSE(blank.cursor);
  }

  TEST_CASE("unknown and repeated parameters are refused without repeating the request") {
    const auto unknown = refused({{"<script>", "1"}});
    CHECK(unknown.find("unknown query parameter") != std::string::npos);
    CHECK(unknown.find("state, gateway, model, outcome, alert, q, sort, limit, cursor") !=
          std::string::npos);
    CHECK(unknown.find("<script>") == std::string::npos);
    CHECK(refused({{"limit", "5"}, {"limit", "6"}}) ==
          "query parameter 'limit' is given more than once");
    CHECK(refused({{"gateway", ""}, {"gateway", ""}}).find("more than once") != std::string::npos);
    CHECK(refused({{"Limit", "5"}}).find("unknown") != std::string::npos);  // names are exact
  }

  TEST_CASE("limit must be a whole number from 1 to 1000") {
    for (const auto* bad : {"0",
                            "1001",
                            "-1",
                            "+5",
                            " 5",
                            "5 ",
                            "1e3",
                            "5.0",
                            "0x10",
                            "abc",
                            "99999999999999999999999999999999"}) {
      CAPTURE(bad);
      CHECK(refused({{"limit", bad}}) == "limit must be a whole number from 1 to 1000");
    }
    CHECK(parsed({{"limit", "1"}}).limit == 1);
    CHECK(parsed({{"limit", "0007"}}).limit == 7);
  }

  TEST_CASE("each set-valued parameter names its values when the value is unknown") {
    CHECK(refused({{"state", "broken"}}) ==
          "state must be one of all, failing, error, silent, unprobed, ok, retrying, deferred");
    CHECK(refused({{"alert", "FIRING"}}) ==
          "alert must be one of inactive, pending, firing, silenced");
    CHECK(refused({{"sort", "-name"}}) == "sort must be one of status, name, last_probe, latency");
    const auto outcome_error = refused({{"outcome", "fine"}});
    CHECK(outcome_error.starts_with("outcome must be an outcome name: ok, dns_error, "));
    CHECK(outcome_error.ends_with("model_mismatch"));
  }

  TEST_CASE("values that are not UTF-8 or longer than 1 KiB are refused") {
    CHECK(refused({{"model", "gpt\xff"}}) == "query parameter 'model' is not valid UTF-8");
    CHECK(refused({{"q", "\xc0\xaf"}}) == "query parameter 'q' is not valid UTF-8");  // overlong
    CHECK(refused({{"gateway", std::string(1025, 'g')}}) ==
          "query parameter 'gateway' is longer than 1024 bytes");
    CHECK(parsed({{"gateway", std::string(1024, 'g')}}).gateway.size() == 1024);
    CHECK(parsed({{"q", "caf\xc3\xa9"}}).text == "caf\xc3\xa9");
  }

  TEST_CASE("a cursor round-trips any name and rank and refuses anything it did not write") {
    for (const auto& name : {std::string("a"),
                             std::string("team/gpt-4o:latest"),
                             std::string("x:y:z::"),
                             std::string("caf\xc3\xa9 \xe2\x82\xac"),
                             std::string("\x01\x02\xff", 3),
                             std::string(500, 'n')}) {
      for (const auto rank : {std::int64_t{0},
                              std::int64_t{-5},
                              std::numeric_limits<std::int64_t>::min(),
                              std::numeric_limits<std::int64_t>::max()}) {
        const route_cursor c{route_sort::latency, rank < 0, rank, name};
        const auto text = encode_cursor(c);
        CHECK(text.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
              std::string::npos);
        const auto back = decode_cursor(text);
        REQUIRE(back);
        CHECK(back->sort == c.sort);
        CHECK(back->before == c.before);
        CHECK(back->rank == c.rank);
        CHECK(back->name == c.name);
      }
    }
    const auto good = encode_cursor({route_sort::status, false, 3, "r1"});
    for (const auto& bad : {std::string(""),
                            std::string("!!!!"),
                            good + "=",
                            good.substr(0, good.size() - 1) + "+",
                            std::string("djE6c3RhdHVzOmE6Mzo"),      // "v1:status:a:3:" (no name)
                            std::string("djI6c3RhdHVzOmE6MzpyMQ"),   // "v2:status:a:3:r1"
                            std::string("djE6c3RhdHVzOng6MzpyMQ"),   // "v1:status:x:3:r1"
                            std::string("djE6Zm9vOmE6MzpyMQ"),       // "v1:foo:a:3:r1"
                            std::string("djE6c3RhdHVzOmE6M3g6cjE"),  // "v1:status:a:3x:r1"
                            std::string("a")}) {
      CAPTURE(bad);
      CHECK_FALSE(decode_cursor(bad));
    }
    CHECK(refused({{"cursor", "!!!!"}}) ==
          "cursor is not one this server gave out; start again without it");
    CHECK(refused({{"cursor", good}, {"sort", "name"}}) ==
          "cursor belongs to sort=status; start again without it");
    CHECK(parsed({{"sort", "name"}, {"cursor", encode_cursor({route_sort::name, false, 0, "x"})}})
              .cursor->name == "x");
  }

  TEST_CASE("random parameters never crash: each is read or refused with a reason") {
    std::mt19937_64 rng(20260514);
    const std::vector<std::string> names = {
        "state", "gateway", "model", "outcome", "alert", "q", "sort", "limit", "cursor", "x", ""};
    auto random_bytes = [&rng](std::size_t max) {
      std::string s(rng() % (max + 1), '\0');
      for (auto& c : s) {
        c = static_cast<char>(rng() % 256);
      }
      return s;
    };
    std::size_t accepted = 0;
    for (int i = 0; i < 20'000; ++i) {
      params p;
      const auto n = rng() % 4;
      for (std::size_t k = 0; k < n; ++k) {
        const auto& name = names[rng() % names.size()];
        p.emplace_back(rng() % 8 == 0 ? random_bytes(8) : name,
                       rng() % 2 == 0 ? random_bytes(24) : std::to_string(rng() % 2000));
      }
      const auto r = parse_route_query(p);
      CHECK(r.query.has_value() != !r.error.empty());
      if (r.query) {
        ++accepted;
        CHECK(r.query->limit >= 1);
        CHECK(r.query->limit <= route_query::max_limit);
      }
    }
    CHECK(accepted > 100);  // the sweep reached the accepting paths too
  }

  TEST_CASE("a query string written for a link reads back as the same query") {
    route_query q;
    q.state = state_filter::silent;
    q.gateway = "open router & co";
    q.model = "gpt-4o/mini?x=1";
    q.last_outcome = outcome::image_tokens_missing;
    q.alert = alert_level::silenced;
    q.text = "caf\xc3\xa9 100%";
    q.sort = route_sort::last_probe;
    q.limit = 25;
    const auto cursor = encode_cursor({route_sort::last_probe, true, -17, "r9"});
    const auto text = to_query_string(q, cursor);
    CHECK(text.find(' ') == std::string::npos);
    CHECK(text.find("&co") == std::string::npos);
    admin_request req;
    req.query = text;
    const auto pairs = req.query_params();
    REQUIRE(pairs);
    const auto back = parsed(*pairs);
    // Every field a link carries, compared at once.
    const auto fields = [](const route_query& x) {
      return std::tie(
          x.state, x.gateway, x.model, x.last_outcome, x.alert, x.text, x.sort, x.limit);
    };
    CAPTURE(text);
    CHECK(fields(back) == fields(q));
    REQUIRE(back.cursor);
    CHECK(back.cursor->name == "r9");
    CHECK(to_query_string(route_query{}).empty());  // the defaults are left out
  }

  TEST_CASE("the default order is errors then silent failures then unprobed then healthy") {
    auto f = sample_fleet(60);
    route_query q;
    q.limit = 60;
    const auto keys = f.keys();
    const auto page = select_page(keys, q);
    REQUIRE(page.shown.size() == 60);
    for (std::size_t i = 1; i < page.shown.size(); ++i) {
      const auto& a = f.routes[page.shown[i - 1]];
      const auto& b = f.routes[page.shown[i]];
      CHECK(std::pair(a.health, a.name) < std::pair(b.health, b.name));
    }
    CHECK(f.routes[page.shown.front()].health == route_health::error);
    CHECK(f.routes[page.shown.back()].health == route_health::ok);
    CHECK_FALSE(page.next_cursor);
    CHECK_FALSE(page.prev_cursor);
    CHECK(page.matching == 60);
    CHECK(page.offset == 0);
  }

  TEST_CASE("walking next_cursor shows every route once in order and prev_cursor goes back") {
    auto f = sample_fleet(250);
    for (const auto sort :
         {route_sort::status, route_sort::name, route_sort::last_probe, route_sort::latency}) {
      CAPTURE(to_string(sort));
      route_query q;
      q.sort = sort;
      q.limit = 250;
      const auto keys = f.keys();
      const auto all = names_of(f, select_page(keys, q));
      q.limit = 7;
      CHECK(walk(f, q, [](fleet&) {}) == all);
      // Page 3 and back: prev_cursor of page 3 gives page 2 exactly.
      auto page = select_page(keys, q);
      const auto first = names_of(f, page);
      q.cursor = decode_cursor(*page.next_cursor);
      const auto second_page = select_page(keys, q);
      CHECK(second_page.offset == 7);
      q.cursor = decode_cursor(*second_page.next_cursor);
      const auto third = select_page(keys, q);
      CHECK(third.offset == 14);
      REQUIRE(third.prev_cursor);
      q.cursor = decode_cursor(*third.prev_cursor);
      const auto back = select_page(keys, q);
      CHECK(names_of(f, back) == names_of(f, second_page));
      CHECK(back.offset == 7);
      REQUIRE(back.prev_cursor);
      q.cursor = decode_cursor(*back.prev_cursor);
      const auto front = select_page(keys, q);
      CHECK(names_of(f, front) == first);
      CHECK_FALSE(front.prev_cursor);  // at the start
      CHECK(front.next_cursor);
    }
  }

  TEST_CASE("routes that do not change are shown once while others change between pages") {
    std::mt19937_64 rng(7);
    for (int round = 0; round < 20; ++round) {
      auto f = sample_fleet(300);
      std::set<std::string> changed;
      std::size_t added = 0;
      route_query q;
      q.limit = 1 + rng() % 40;
      q.sort = static_cast<route_sort>(rng() % 4);
      const auto seen = walk(f, q, [&](fleet& fl) {
        for (int k = 0; k < 5; ++k) {
          auto& r = fl.routes[rng() % fl.routes.size()];
          changed.insert(r.name);
          r.health = static_cast<route_health>(rng() % 4);
          r.last = r.health == route_health::unprobed ? std::nullopt : std::optional(outcome::ok);
          r.last_s = 1'700'000'000 + static_cast<std::int64_t>(rng() % 200);
          r.latency = static_cast<double>(rng() % 30);
        }
        if (rng() % 2 == 0) {  // a reload removes one route and adds another
          const auto gone = rng() % fl.routes.size();
          changed.insert(fl.routes[gone].name);
          fl.routes.erase(fl.routes.begin() + static_cast<std::ptrdiff_t>(gone));
          fleet::route r;
          r.name = "new" + std::to_string(added++);
          changed.insert(r.name);
          fl.routes.push_back(r);
        }
      });
      std::map<std::string, int> times;
      for (const auto& n : seen) {
        ++times[n];
      }
      for (const auto& r : sample_fleet(300).routes) {
        if (!changed.contains(r.name)) {
          CAPTURE(r.name);
          CHECK(times[r.name] == 1);
        }
      }
    }
  }

  TEST_CASE("filters combine and the counts stay those of the whole fleet") {
    auto f = sample_fleet(231);
    const auto keys = f.keys();
    auto count = [&](const route_query& q) { return select_page(keys, q).matching; };
    auto manual = [&](auto pred) {
      return static_cast<std::size_t>(std::count_if(f.routes.begin(), f.routes.end(), pred));
    };
    route_query q;
    const auto all = select_page(keys, q);
    CHECK(all.counts.of(state_filter::all) == 231);
    q.state = state_filter::failing;
    const auto failing = select_page(keys, q);
    CHECK(failing.matching == manual([](const auto& r) {
            return r.health == route_health::error || r.health == route_health::silent;
          }));
    CHECK(failing.counts.by_state == all.counts.by_state);
    for (const auto st : all_state_filters) {
      route_query one;
      one.state = st;
      CHECK(count(one) == all.counts.of(st));
    }
    CHECK(all.counts.of(state_filter::failing) ==
          all.counts.of(state_filter::error) + all.counts.of(state_filter::silent));
    CHECK(all.counts.of(state_filter::retrying) ==
          manual([](const auto& r) { return r.retrying; }));

    route_query g;
    g.gateway = "g1";
    g.model = "m2";
    CHECK(count(g) == manual([](const auto& r) { return r.gateway == "g1" && r.model == "m2"; }));
    g.gateway = "g";  // exact, not a prefix
    CHECK(count(g) == 0);

    route_query o;
    o.last_outcome = outcome::wrong_answer;
    CHECK(count(o) == manual([](const auto& r) { return r.last == outcome::wrong_answer; }));
    route_query a;
    a.alert = alert_level::firing;
    CHECK(count(a) == manual([](const auto& r) { return r.alert == alert_level::firing; }));
    a.alert = alert_level::inactive;
    CHECK(count(a) == manual([](const auto& r) { return r.alert == alert_level::inactive; }));

    route_query t;
    t.text = "R00";  // ASCII case ignored
    CHECK(count(t) == 10);
    t.state = state_filter::unprobed;
    CHECK(count(t) == 1);  // r000
  }

  TEST_CASE("the other sorts put the newest or slowest first and unprobed routes last") {
    auto f = sample_fleet(40);
    const auto keys = f.keys();
    route_query q;
    q.limit = 40;
    // Each page in order of `value`, largest first, the routes never probed after the others.
    auto check_order = [&](route_sort sort, auto value) {
      q.sort = sort;
      const auto page = select_page(keys, q);
      for (std::size_t i = 1; i < page.shown.size(); ++i) {
        const auto& a = f.routes[page.shown[i - 1]];
        const auto& b = f.routes[page.shown[i]];
        if (a.last && b.last) {
          CHECK(value(a) >= value(b));
        }
        CHECK((a.last.has_value() || !b.last.has_value()));
      }
    };
    check_order(route_sort::last_probe,
                [](const fleet::route& r) { return static_cast<double>(r.last_s); });
    check_order(route_sort::latency, [](const fleet::route& r) { return r.latency; });
    q.sort = route_sort::name;
    const auto page = select_page(keys, q);
    const auto names = names_of(f, page);
    CHECK(std::is_sorted(names.begin(), names.end()));
  }

  TEST_CASE(
      "no route matching gives an empty page without cursors and so does a cursor past the end") {
    auto f = sample_fleet(20);
    const auto keys = f.keys();
    route_query q;
    q.gateway = "nowhere";
    const auto none = select_page(keys, q);
    CHECK(none.shown.empty());
    CHECK(none.matching == 0);
    CHECK_FALSE(none.next_cursor);
    CHECK_FALSE(none.prev_cursor);
    route_query past;
    past.sort = route_sort::name;
    past.cursor = route_cursor{route_sort::name, false, 0, "zzz"};
    const auto end = select_page(keys, past);
    CHECK(end.shown.empty());
    CHECK(end.matching == 20);
    CHECK(end.offset == 20);
    CHECK_FALSE(end.next_cursor);
    CHECK(select_page({}, route_query{}).shown.empty());
  }

  TEST_CASE("a route's health is its worst shape's when it has shapes and its last probe's else") {
    const std::vector<std::optional<outcome>> mixed = {
        outcome::ok, outcome::no_image_claim, std::nullopt};
    CHECK(route_health_of(true, mixed, outcome::ok) == route_health::silent);
    const std::vector<std::optional<outcome>> loud = {outcome::timeout, outcome::wrong_answer};
    CHECK(route_health_of(true, loud, outcome::wrong_answer) == route_health::error);
    const std::vector<std::optional<outcome>> none = {std::nullopt, std::nullopt};
    CHECK(route_health_of(true, none, outcome::refusal) == route_health::silent);
    CHECK(route_health_of(true, none, std::nullopt) == route_health::unprobed);
    CHECK(route_health_of(false, mixed, outcome::ok) == route_health::ok);
    CHECK(route_health_of(false, {}, outcome::rate_limited) == route_health::error);
  }

  TEST_CASE("a firing alert under a silence reads silenced and counting failures reads pending") {
    CHECK(alert_level_of(true, true, false) == alert_level::firing);
    CHECK(alert_level_of(true, false, true) == alert_level::silenced);
    CHECK(alert_level_of(false, true, true) == alert_level::pending);
    CHECK(alert_level_of(false, false, true) == alert_level::inactive);
  }
}
