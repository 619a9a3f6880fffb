#include "daemon/runtime/probe_shapes.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <vector>

using namespace visionwatch;
using namespace std::chrono_literals;

TEST_SUITE("unit") {
  TEST_CASE("the image shapes share plain's request form and the others have their own") {
    for (const auto s : {probe_shape::plain,
                         probe_shape::jpeg,
                         probe_shape::webp,
                         probe_shape::gif,
                         probe_shape::rgba,
                         probe_shape::large}) {
      CHECK(form_of(s) == request_form::plain);
    }
    CHECK(form_of(probe_shape::system) == request_form::system);
    CHECK(form_of(probe_shape::tools) == request_form::tools);
    CHECK(form_of(probe_shape::history) == request_form::history);
    for (const auto f :
         {request_form::plain, request_form::system, request_form::tools, request_form::history}) {
      CHECK(form_of(shape_of(f)) == f);
      CHECK(to_string(f) == to_string(shape_of(f)));
    }
  }

  TEST_CASE("forms_of lists each request form once in order of first use") {
    const std::vector<probe_shape> shapes = {probe_shape::jpeg,
                                             probe_shape::tools,
                                             probe_shape::plain,
                                             probe_shape::large,
                                             probe_shape::history};
    CHECK(forms_of(shapes) == std::vector<request_form>{
                                  request_form::plain, request_form::tools, request_form::history});
  }

  TEST_CASE("control requests come once per request form per baseline_interval") {
    const std::vector<probe_shape> plain = {probe_shape::plain};
    const std::vector<probe_shape> images = {
        probe_shape::plain, probe_shape::jpeg, probe_shape::webp, probe_shape::rgba};
    const std::vector<probe_shape> forms = {
        probe_shape::plain, probe_shape::tools, probe_shape::system, probe_shape::jpeg};
    CHECK(control_interval(1h, plain) == 1h);
    CHECK(control_interval(1h, images) == 1h);  // image shapes add no control request
    CHECK(control_interval(1h, forms) == 20min);
  }

  TEST_CASE("only the default [plain] leaves results unnamed") {
    CHECK_FALSE(names_shapes(std::vector<probe_shape>{probe_shape::plain}));
    CHECK(names_shapes(std::vector<probe_shape>{probe_shape::tools}));
    CHECK(names_shapes(std::vector<probe_shape>{probe_shape::plain, probe_shape::jpeg}));
    CHECK(shape_list(std::vector<probe_shape>{probe_shape::plain, probe_shape::tools}) ==
          "plain, tools");
  }

  TEST_CASE("a failed probe's reason says fails only with its shape when the others pass") {
    const std::vector<shape_outcome> others_pass = {{probe_shape::plain, outcome::ok},
                                                    {probe_shape::tools, outcome::ok},
                                                    {probe_shape::jpeg, outcome::ok}};
    CHECK(shape_reason(probe_shape::tools, "the reply says there is no image", others_pass) ==
          "fails only with tools: the reply says there is no image");
    const std::vector<shape_outcome> plain_fails = {{probe_shape::plain, outcome::wrong_answer},
                                                    {probe_shape::tools, std::nullopt}};
    CHECK(shape_reason(probe_shape::tools, "no image", plain_fails) == "with tools: no image");
    const std::vector<shape_outcome> unknown = {{probe_shape::plain, std::nullopt},
                                                {probe_shape::tools, outcome::ok}};
    CHECK(shape_reason(probe_shape::tools, "x", unknown) == "with tools: x");
    CHECK(shape_reason(probe_shape::tools, "x", {}) == "with tools: x");  // `check`: no context
  }

  TEST_CASE("the route summary names the failing shapes only when they alone fail") {
    CHECK(shapes_summary(std::vector<shape_outcome>{{probe_shape::plain, outcome::ok},
                                                    {probe_shape::tools, outcome::ok}})
              .empty());
    CHECK(shapes_summary(std::vector<shape_outcome>{
              {probe_shape::plain, outcome::ok}, {probe_shape::tools, outcome::no_image_claim}}) ==
          "fails only with tools: no_image_claim");
    CHECK(
        shapes_summary(std::vector<shape_outcome>{{probe_shape::plain, outcome::ok},
                                                  {probe_shape::tools, outcome::no_image_claim},
                                                  {probe_shape::history, outcome::empty_answer}}) ==
        "fails only with tools (no_image_claim), history (empty_answer)");
    CHECK(shapes_summary(std::vector<shape_outcome>{
              {probe_shape::plain, std::nullopt}, {probe_shape::tools, outcome::no_image_claim}}) ==
          "fails with tools: no_image_claim");
    // Every shape fails: the route fails as a whole, no shape is singled out.
    CHECK(shapes_summary(std::vector<shape_outcome>{{probe_shape::plain, outcome::http_5xx},
                                                    {probe_shape::tools, outcome::http_5xx}})
              .empty());
  }
}
