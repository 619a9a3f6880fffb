// The image faults of the sim behaviours for the probe shapes (sim_image_faults.hpp): the pixel
// transformations themselves, and a probe of every image shape against every new behaviour,
// judged by the verdict: each behaviour fails exactly its own shape (wrong_answer or
// empty_answer) and passes every other.
#include "daemon/sim/sim_image_faults.hpp"

#include <doctest/doctest.h>

#include <array>
#include <string>
#include <vector>

#include "daemon/sim/sim_model.hpp"
#include "probes/adapter.hpp"
#include "probes/challenge.hpp"
#include "probes/image_codec.hpp"
#include "probes/probe_shape.hpp"
#include "probes/verdict.hpp"

using namespace visionwatch;

namespace {

rgba_image solid(int w, int h, std::array<std::uint8_t, 4> px) {
  rgba_image img;
  img.width = w;
  img.height = h;
  for (int i = 0; i < w * h; ++i) {
    img.rgba.insert(img.rgba.end(), px.begin(), px.end());
  }
  return img;
}

/// One digits probe of `shape` (openai-chat, detail low) answered by a sim model behaving as
/// `behaviour`, judged like the probe runner judges it (the baseline is the text-only prompt).
verdict probe(probe_shape shape, sim_behaviour behaviour, std::uint64_t seed) {
  challenge_options options;
  apply_shape(shape, options);
  const challenge c = make_challenge(options, seed);
  probe_request pr;
  pr.base_url = "http://127.0.0.1:1/v1";
  pr.model = "vision-" + std::string(to_string(behaviour));
  pr.prompt = c.question;
  pr.images.push_back(image_part{data_url(c.media_type, c.image), "low"});
  pr.max_tokens = 50;
  pr.api_key = "sk-sim-faults-0123";
  apply_shape(shape, pr);
  received_request request;  // as the sim gateway receives it (the model reads only the body)
  request.method = "POST";
  request.target = "/v1/chat/completions";
  request.body = build_request(api_flavour::openai_chat, pr).body;
  sim_model model;
  const response_plan plan = model.respond(request, behaviour);
  http_result http;
  http.status = plan.status;
  http.body = plan.body;
  const reply r = parse_reply(api_flavour::openai_chat, http);
  answer_expectation expect;
  expect.kind = c.kind;
  expect.answer = c.answer;
  return judge(http, r, expect, sim_model::text_tokens(pr.prompt), verdict_checks{});
}

/// What each new behaviour does to each image shape: the outcome for the shape it breaks,
/// ok for every other.
struct expectation {
  sim_behaviour behaviour;
  probe_shape breaks;
  outcome result;
};

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("flattening composites straight alpha onto the background") {
    rgba_image img = solid(2, 1, {200, 100, 0, 255});
    img.rgba[4] = 0;  // second pixel: black at half coverage
    img.rgba[5] = 0;
    img.rgba[6] = 0;
    img.rgba[7] = 128;
    const rgba_image black = sim_faults::flatten(img, rgb8{0, 0, 0});
    const rgba_image white = sim_faults::flatten(img, rgb8{255, 255, 255});
    CHECK(std::vector<std::uint8_t>(black.rgba.begin(), black.rgba.begin() + 4) ==
          std::vector<std::uint8_t>{200, 100, 0, 255});
    CHECK(std::vector<std::uint8_t>(black.rgba.begin() + 4, black.rgba.end()) ==
          std::vector<std::uint8_t>{0, 0, 0, 255});
    CHECK(std::vector<std::uint8_t>(white.rgba.begin() + 4, white.rgba.end()) ==
          std::vector<std::uint8_t>{127, 127, 127, 255});
  }

  TEST_CASE("downscaling averages the covered area and ignores transparent colour") {
    // 4 x 2: left half black, right half white, transparent red in the bottom-right pixel.
    rgba_image img = solid(4, 2, {0, 0, 0, 255});
    for (const int x : {2, 3}) {
      for (const int y : {0, 1}) {
        auto* p =
            img.rgba.data() + (static_cast<std::size_t>(y) * 4 + static_cast<std::size_t>(x)) * 4;
        p[0] = p[1] = p[2] = 255;
      }
    }
    auto* red = img.rgba.data() + (std::size_t{4} + 3) * 4;
    red[0] = 255;
    red[1] = red[2] = red[3] = 0;
    const rgba_image half = sim_faults::downscale(img, 2, 1);
    REQUIRE(half.rgba.size() == 8);
    CHECK(std::vector<std::uint8_t>(half.rgba.begin(), half.rgba.end()) ==
          std::vector<std::uint8_t>{0, 0, 0, 255, 255, 255, 255, 191});
    const rgba_image third = sim_faults::downscale(solid(3, 3, {10, 20, 30, 255}), 2, 2);
    CHECK(std::vector<std::uint8_t>(third.rgba.begin(), third.rgba.begin() + 4) ==
          std::vector<std::uint8_t>{10, 20, 30, 255});
    CHECK_THROWS_AS(sim_faults::downscale(img, 5, 1), std::invalid_argument);
    CHECK_THROWS_AS(sim_faults::downscale(img, 0, 1), std::invalid_argument);
  }

  TEST_CASE("downscaling to a long side keeps the aspect ratio and leaves small images alone") {
    const rgba_image big = solid(2400, 1600, {255, 255, 255, 255});
    const rgba_image small = sim_faults::downscale_to_long_side(big, 256);
    CHECK(small.width == 256);
    CHECK(small.height == 171);
    const rgba_image tall = sim_faults::downscale_to_long_side(solid(10, 1000, {}), 256);
    CHECK(tall.width == 3);
    CHECK(tall.height == 256);
    CHECK(sim_faults::downscale_to_long_side(small, 512).width == 256);
  }

  TEST_CASE("only the image faults change what the model sees") {
    const std::string png = make_challenge(challenge_options{}, 1).image;
    CHECK(sim_faults::seen_image(sim_behaviour::healthy, png) == png);
    CHECK(sim_faults::seen_image(sim_behaviour::empty_reply_for_jpeg, png) == png);
    CHECK(sim_faults::seen_image(sim_behaviour::healthy, "not an image") == "not an image");
    CHECK_FALSE(sim_faults::seen_image(sim_behaviour::downscales_heavily, "not an image"));
    const auto small = sim_faults::seen_image(sim_behaviour::downscales_heavily, png);
    REQUIRE(small);
    const image_decode_result decoded = decode_image(*small);
    REQUIRE(decoded.image);
    CHECK(decoded.image->width == 256);
  }

  TEST_CASE("an empty reply is for the format the bytes are in whatever their label") {
    challenge_options o;
    o.format = image_format::webp;
    const std::string webp = make_challenge(o, 1).image;
    CHECK(sim_faults::replies_empty_for(sim_behaviour::empty_reply_for_webp, webp));
    CHECK_FALSE(sim_faults::replies_empty_for(sim_behaviour::empty_reply_for_jpeg, webp));
    CHECK_FALSE(sim_faults::replies_empty_for(sim_behaviour::healthy, webp));
    CHECK_FALSE(sim_faults::replies_empty_for(sim_behaviour::empty_reply_for_webp,
                                              make_challenge(challenge_options{}, 1).image));
  }

  TEST_CASE("each image fault fails exactly its own shape and every other shape passes") {
    constexpr std::array<probe_shape, 6> image_shapes = {probe_shape::plain,
                                                         probe_shape::jpeg,
                                                         probe_shape::webp,
                                                         probe_shape::gif,
                                                         probe_shape::rgba,
                                                         probe_shape::large};
    constexpr std::array<expectation, 5> faults = {{
        {sim_behaviour::flattens_transparency, probe_shape::rgba, outcome::wrong_answer},
        {sim_behaviour::downscales_heavily, probe_shape::large, outcome::wrong_answer},
        {sim_behaviour::empty_reply_for_jpeg, probe_shape::jpeg, outcome::empty_answer},
        {sim_behaviour::empty_reply_for_webp, probe_shape::webp, outcome::empty_answer},
        {sim_behaviour::empty_reply_for_gif, probe_shape::gif, outcome::empty_answer},
    }};
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      for (const probe_shape shape : image_shapes) {
        CAPTURE(to_string(shape));
        const verdict healthy = probe(shape, sim_behaviour::healthy, seed);
        CAPTURE(healthy.reason);
        CHECK(healthy.result == outcome::ok);
        for (const expectation& e : faults) {
          CAPTURE(to_string(e.behaviour));
          const verdict v = probe(shape, e.behaviour, seed);
          CAPTURE(v.reason);
          CHECK(v.result == (shape == e.breaks ? e.result : outcome::ok));
        }
      }
    }
  }

  TEST_CASE("the new behaviours are named for vision-<behaviour> models") {
    for (const std::string_view name : {"flattens_transparency",
                                        "downscales_heavily",
                                        "empty_reply_for_jpeg",
                                        "empty_reply_for_webp",
                                        "empty_reply_for_gif"}) {
      const auto b = sim_behaviour_from_string(name);
      REQUIRE(b);
      CHECK(to_string(*b) == name);
    }
  }
}
