// The probe runner sends each image shape's image with its true type: inline as
// data:<media type>, or published in the media store under its type and extension.
#include <doctest/doctest.h>

#include <array>
#include <string>

#include "daemon/runtime/media_store.hpp"
#include "tests/runtime/probe_job_support.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/media_server.hpp"
#include "tests/support/shape_upstream.hpp"

namespace {

namespace vt = visionwatch::test;
using namespace std::chrono_literals;
using namespace visionwatch;

struct format_case {
  probe_shape shape;
  std::string mime;
  std::string extension;
};

const auto cases = std::to_array<format_case>({
    {probe_shape::jpeg, "image/jpeg", ".jpg"},
    {probe_shape::webp, "image/webp", ".webp"},
    {probe_shape::gif, "image/gif", ".gif"},
    {probe_shape::rgba, "image/png", ".png"},
});

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("an image shape's data URL carries its media type") {
    vt::fake_upstream up(vt::pixel_reader_options());
    up.set_behaviour(sim_behaviour::healthy);
    up.start();
    const auto cfg = vt::make_config(up.base_url(), "challenge: {kind: count}");
    for (const auto& c : cases) {
      CAPTURE(c.mime);
      const auto r = vt::run_one(false, cfg, 7, std::nullopt, {}, {}, c.shape);
      CHECK(r.shape == c.shape);
      const auto reqs = up.requests();
      const auto sent = vt::parse_chat_request(reqs.back());
      REQUIRE(sent);
      REQUIRE(sent->image_url);
      CHECK(sent->image_url->starts_with("data:" + c.mime + ";base64,"));
    }
    up.stop();
  }

  TEST_CASE("media remote_url serves an image shape under its type and extension") {
    vt::media_server media;
    vt::fake_upstream up(vt::pixel_reader_options());
    up.set_behaviour(sim_behaviour::healthy);
    up.start();
    const auto cfg = vt::make_config(up.base_url(),
                                     "challenge: {kind: count, media: remote_url}",
                                     "  media_base_url: \"" + media.base_url() + "\"\n");
    for (const auto& c : cases) {
      CAPTURE(c.mime);
      const auto r = vt::run_one(false, cfg, 8, std::nullopt, media.store(), {}, c.shape);
      CHECK(r.result == outcome::ok);
      const auto served = media.served();
      REQUIRE_FALSE(served.empty());
      CHECK(served.back().ends_with(c.extension + " " + c.mime));
    }
    up.stop();
  }
}
