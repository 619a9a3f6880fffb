#include <doctest/doctest.h>

#include <string>

#include "probes/adapter.hpp"
#include "probes/challenge.hpp"
#include "probes/probe_shape.hpp"

namespace probe_shape_test {

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

TEST_SUITE("unit") {
  TEST_CASE("apply_shape sets only its own request fields") {
    probe_request base;
    base.prompt = "What number is written in the image? Reply with the digits only.";
    for (const auto name : probe_shape_names()) {
      const auto shape = probe_shape_from_string(name).value();
      probe_request r = base;
      apply_shape(shape, r);
      CHECK_MESSAGE(r.system_prompt.empty() == (shape != probe_shape::system), name);
      CHECK_MESSAGE(r.declare_tool == (shape == probe_shape::tools), name);
      CHECK_MESSAGE(r.earlier.has_value() == (shape == probe_shape::history), name);
      if (shape == probe_shape::history) {
        CHECK(r.prompt == std::string(shape_history_prefix) + base.prompt);
        CHECK(r.earlier->question == shape_history_question);
        CHECK(r.earlier->reply == shape_history_reply);
      } else {
        CHECK(r.prompt == base.prompt);
      }
    }
  }

  TEST_CASE("apply_shape picks the image format transparency and size") {
    const auto options_for = [](probe_shape s) {
      challenge_options o;
      apply_shape(s, o);
      return o;
    };
    CHECK(options_for(probe_shape::jpeg).format == image_format::jpeg);
    CHECK(options_for(probe_shape::webp).format == image_format::webp);
    CHECK(options_for(probe_shape::gif).format == image_format::gif);
    CHECK(options_for(probe_shape::rgba).transparent);
    CHECK(options_for(probe_shape::rgba).format == image_format::png);
    CHECK(options_for(probe_shape::large).large);
    const auto plain = options_for(probe_shape::tools);
    CHECK(plain.format == image_format::png);
    CHECK_FALSE(plain.transparent);
    CHECK_FALSE(plain.large);
  }
}

}  // namespace probe_shape_test
