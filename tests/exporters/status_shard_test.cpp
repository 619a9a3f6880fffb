// Which shard an instance is, as /api/v1/routes, the status page and /metrics show it.
#include <doctest/doctest.h>

#include <string>

#include "exporters/metrics.hpp"
#include "exporters/status.hpp"
#include "tests/support/exported_metrics.hpp"

using namespace visionwatch;

TEST_SUITE("unit") {
  TEST_CASE("the JSON always carries the shard and the page names it when there are several") {
    status_view s;
    auto j = status_json(s);
    CHECK(j["shard"] == 1);
    CHECK(j["shards"] == 1);
    CHECK(status_html(s).find("shard ") == std::string::npos);
    s.shard = 2;
    s.shards = 3;
    j = status_json(s);
    CHECK(j["shard"] == 2);
    CHECK(j["shards"] == 3);
    CHECK(status_html(s).find("<span>shard 2 of 3: the routes it owns</span>") !=
          std::string::npos);
  }

  TEST_CASE("shard_info is 1 for this instance's shard and follows a change") {
    metrics m({{"region", "eu"}}, "0.1.0", "abc");
    auto text = m.render();
    CHECK(test::metric_value(text, "visionwatch_shard_info", {{"shard", "1"}, {"shards", "1"}}) ==
          1.0);
    m.set_shard(3, 4);
    text = m.render();
    CHECK(test::metric_value(text,
                             "visionwatch_shard_info",
                             {{"shard", "3"}, {"shards", "4"}, {"region", "eu"}}) == 1.0);
    CHECK_FALSE(test::metric_value(text, "visionwatch_shard_info", {{"shard", "1"}}));
  }
}
