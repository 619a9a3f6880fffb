#include "exporters/sample_window.hpp"

#include <doctest/doctest.h>

using visionwatch::sample_window;

TEST_SUITE("unit") {
  TEST_CASE("an empty window has no quantiles") {
    sample_window w(10);
    CHECK_FALSE(w.quantile(0.5).has_value());
    CHECK_FALSE(w.max().has_value());
    CHECK_FALSE(w.mean().has_value());
  }

  TEST_CASE("quantiles interpolate between closest ranks") {
    sample_window w(100);
    for (int i = 1; i <= 100; ++i) {
      w.add(i);
    }
    CHECK(*w.quantile(0.0) == doctest::Approx(1));
    CHECK(*w.quantile(0.5) == doctest::Approx(50.5));
    CHECK(*w.quantile(0.9) == doctest::Approx(90.1));
    CHECK(*w.quantile(1.0) == doctest::Approx(100));
    CHECK(*w.max() == doctest::Approx(100));
  }

  TEST_CASE("the window keeps only the newest samples") {
    sample_window w(3);
    for (double v : {100.0, 1.0, 2.0, 3.0}) {
      w.add(v);
    }
    CHECK(w.size() == 3);
    CHECK(*w.max() == doctest::Approx(3));
    CHECK(w.values() == std::vector<double>{1, 2, 3});
  }

  TEST_CASE("shrinking the capacity keeps the newest samples in order") {
    sample_window w(5);
    for (int i = 1; i <= 5; ++i) {
      w.add(i);
    }
    w.set_capacity(2);
    CHECK(w.values() == std::vector<double>{4, 5});
    w.add(6);
    CHECK(w.values() == std::vector<double>{5, 6});
    w.set_capacity(4);
    w.add(7);
    CHECK(w.values() == std::vector<double>{5, 6, 7});
    CHECK(*w.mean() == doctest::Approx(6));
  }
}
