#include <doctest/doctest.h>

#include <string>

#include "probes/adapter.hpp"
#include "probes/challenge.hpp"
#include "probes/probe_shape.hpp"

using namespace visionwatch;

TEST_SUITE("unit") {

TEST_CASE("probe shape names round-trip in enum order") {
  const auto names = probe_shape_names();
  REQUIRE(names.size() == probe_shape_count);
  CHECK(names.front() == "plain");
  CHECK(names.back() == "large");
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto shape = probe_shape_from_string(names[i]);
    REQUIRE(shape.has_value());
    CHECK(static_cast<std::size_t>(*shape) == i);
    CHECK(to_string(*shape) == names[i]);
  }
  CHECK_FALSE(probe_shape_from_string("Plain").has_value());
  CHECK_FALSE(probe_shape_from_string("").has_value());
  CHECK(to_string(static_cast<probe_shape>(200)) == "unknown");
}

TEST_CASE("image formats name their media types") {
  CHECK(media_type_of(image_format::png) == "image/png");
  CHECK(media_type_of(image_format::jpeg) == "image/jpeg");
  CHECK(media_type_of(image_format::webp) == "image/webp");
  CHECK(media_type_of(image_format::gif) == "image/gif");
  CHECK(to_string(image_format::webp) == "webp");
  CHECK(make_challenge(challenge_options{}, 1).media_type == "image/png");
}

TEST_CASE("only formats a flavour's documentation rejects are unsupported shapes") {
  for (const auto flavour_name : api_flavour_names()) {
    const auto flavour = api_flavour_from_string(flavour_name).value();
    for (const auto shape_name : probe_shape_names()) {
      const auto shape = probe_shape_from_string(shape_name).value();
      const auto why = shape_unsupported(flavour, shape);
      const bool refused = flavour == api_flavour::gemini && shape == probe_shape::gif;
      CHECK_MESSAGE(why.has_value() == refused, flavour_name, " ", shape_name);
    }
  }
  CHECK(shape_unsupported(api_flavour::gemini, probe_shape::gif).value().find("GIF") !=
        std::string::npos);
}

}  // TEST_SUITE
