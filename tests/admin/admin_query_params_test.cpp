#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "daemon/admin/admin_router.hpp"

using namespace visionwatch;

namespace {

admin_request with_query(std::string q) {
  admin_request r;
  r.query = std::move(q);
  return r;
}

using pairs = std::vector<std::pair<std::string, std::string>>;

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("every query parameter comes decoded and in order with repeats kept") {
    const auto p = with_query("state=failing&q=team%2Fa+b&flag&q=2&=x&limit=").query_params();
    REQUIRE(p);
    CHECK(*p == pairs{{"state", "failing"},
                      {"q", "team/a b"},
                      {"flag", ""},
                      {"q", "2"},
                      {"", "x"},
                      {"limit", ""}});
    CHECK(with_query("").query_params() == pairs{});
    CHECK(with_query("&&a=1&").query_params() == pairs{{"a", "1"}});  // empty pairs skipped
    CHECK(with_query("a=b=c").query_params() == pairs{{"a", "b=c"}});
    CHECK(with_query("caf%C3%A9=%E2%82%AC").query_params() ==
          pairs{{"caf\xc3\xa9", "\xe2\x82\xac"}});
  }

  TEST_CASE("a bad escape or an escaped control character anywhere refuses the whole query") {
    for (const auto* bad : {"a=%zz", "a=%", "a=%4", "%zz=1", "ok=1&a=%00", "a=%0A", "a=%7f"}) {
      CAPTURE(bad);
      CHECK_FALSE(with_query(bad).query_params());
    }
  }

  TEST_CASE("query_param still reads the first value of a name") {
    const auto r = with_query("shape=tools&shape=plain&bad=%zz&empty");
    CHECK(r.query_param("shape") == "tools");
    CHECK(r.query_param("empty") == "");
    CHECK_FALSE(r.query_param("bad"));
    CHECK_FALSE(r.query_param("missing"));
    CHECK(with_query("%zz=1&shape=history").query_param("shape") == "history");
  }
}
