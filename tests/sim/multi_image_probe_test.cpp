// Multi-image probes through the probe engine against the fake upstream: every image is sent in
// order and read by an honest simulated model; a conversion that keeps only the first image, a
// gateway that drops the images and guesses, and usage that grew for one image only all fail.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <mutex>
#include <string>

#include "daemon/config/config.hpp"
#include "daemon/runtime/media_store.hpp"
#include "daemon/runtime/probe_runner.hpp"
#include "probes/challenge.hpp"
#include "probes/image_reader.hpp"
#include "tests/runtime/probe_job_support.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/media_server.hpp"

namespace {

using namespace visionwatch;
namespace vt = visionwatch::test;

using vt::behaving_upstream;
using vt::make_config;
using vt::run_one;
using vt::run_with_remote_media;

/// The baseline (control request), then one image probe measured against it.
probe_result probe_with_baseline(const std::shared_ptr<const config>& cfg, std::uint64_t seed) {
  const auto r = vt::run_with_baseline(cfg, seed);
  REQUIRE(r.control.success());
  return r.probe;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE(
      "a 2-image probe is ok through an honest model and wrong_answer when only the first "
      "image is kept") {
    for (const char* kind : {"digits", "count"}) {
      CAPTURE(kind);
      const std::string extra = std::string("challenge: {kind: ") + kind + ", images: 2}";
      behaving_upstream honest(sim_behaviour::healthy);
      const probe_result ok = probe_with_baseline(make_config(honest.base_url(), extra), 4242);
      CHECK(ok.result == outcome::ok);
      CHECK(ok.reason.empty());
      const challenge_set set = make_challenge_set(
          challenge_options{*challenge_kind_from_string(kind), 512, 512}, 4242, 2);
      CHECK(ok.expected == set.answer);
      CHECK(ok.answer_excerpt == set.answer);
      // Both images went out in one user message, in order, with the multi-image question.
      const auto reqs = honest.requests();
      REQUIRE(reqs.size() == 2);
      const auto sent = vt::parse_chat_request(reqs[1]);
      REQUIRE(sent);
      REQUIRE(sent->images.size() == 2);
      CHECK(sent->images[0].png == set.images[0].image);
      CHECK(sent->images[1].png == set.images[1].image);
      CHECK(sent->prompt == set.question);
      // The control request asks the same question without images.
      const auto control = vt::parse_chat_request(reqs[0]);
      REQUIRE(control);
      CHECK(control->prompt == set.question);
      CHECK(control->images.empty());

      behaving_upstream first_only(sim_behaviour::keeps_first_image);
      const probe_result bad = probe_with_baseline(make_config(first_only.base_url(), extra), 4242);
      CHECK(bad.result == outcome::wrong_answer);
      CHECK(bad.answer_excerpt == set.images[0].answer);
      CHECK(bad.reason.find("does not contain expected") != std::string::npos);
    }
  }

  TEST_CASE(
      "a gateway that drops the image and guesses never passes a colour - shape or count "
      "probe") {
    behaving_upstream up(sim_behaviour::drops_image_guesses);
    for (const char* kind : {"color", "shape", "count"}) {
      CAPTURE(kind);
      const auto cfg = make_config(up.base_url(), std::string("challenge: {kind: ") + kind + "}");
      for (std::uint64_t seed = 1; seed <= 30; ++seed) {
        const probe_result r = run_one(false, cfg, seed, 20);
        CHECK(r.result == outcome::wrong_answer);
      }
    }
  }

  TEST_CASE("usage must grow by min_image_tokens for every image sent") {
    // A gateway that reads the images right but bills 60 tokens over the text-only prompt: enough
    // for one image at min_image_tokens 50, not for two.
    vt::fake_upstream up(vt::pixel_reader_options());
    up.set_handler([](const received_request& request) {
      const auto req = vt::parse_chat_request(request);
      if (!req) {
        return response_plan::text(400, "bad request");
      }
      if (req->images.empty()) {
        return vt::chat_completion(req->model, "OK.", 100);
      }
      std::vector<std::string_view> pngs;
      pngs.reserve(req->images.size());
      for (const auto& image : req->images) {
        pngs.emplace_back(image.png ? std::string_view(*image.png) : std::string_view());
      }
      return vt::chat_completion(req->model, read_challenges(pngs, req->prompt).value_or("?"), 160);
    });
    up.start();
    const probe_result one =
        probe_with_baseline(make_config(up.base_url(), "challenge: {kind: shape}"), 9);
    CHECK(one.result == outcome::ok);
    const probe_result two =
        probe_with_baseline(make_config(up.base_url(), "challenge: {kind: shape, images: 2}"), 9);
    CHECK(two.result == outcome::image_tokens_missing);
    CHECK(two.reason.find("100 + 100") != std::string::npos);
  }

  TEST_CASE("media remote_url serves every image of a multi-image probe") {
    vt::media_server media;
    behaving_upstream up(sim_behaviour::healthy);
    const probe_result r =
        run_with_remote_media(media, up.base_url(), "kind: color, images: 3", 77);
    CHECK(r.result == outcome::ok);
    CHECK(r.answer_excerpt == r.expected);
    CHECK(r.expected ==
          make_challenge_set(challenge_options{challenge_kind::color, 512, 512}, 77, 3).answer);
    CHECK(media.fetches() == 3);
    CHECK(media.published() == 0);  // every image removed once the probe finished
    const auto sent = vt::parse_chat_request(up.requests().at(0));
    REQUIRE(sent);
    REQUIRE(sent->images.size() == 3);
    CHECK(sent->images[0].url != sent->images[1].url);
    CHECK(sent->images[1].url != sent->images[2].url);
  }
}
