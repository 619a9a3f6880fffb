// The daily probe and spend projection `visionwatch validate` prints: tokens per probe by each
// flavour's image rule, the worst case of retry_interval, per-gateway sums and budget warnings.
#include "daemon/runtime/spend_projection.hpp"

#include <doctest/doctest.h>

#include <string>

#include "probes/challenge.hpp"

using namespace visionwatch;
using namespace std::chrono_literals;

namespace {

/// Prompt tokens of the digits question alone: 64 characters / 4 + 8 for the message framing.
constexpr long long digits_text = 24;

route_settings sized(int w, int h, const char* detail = "high") {
  route_settings s;
  s.challenge.width = w;
  s.challenge.height = h;
  s.challenge.detail = detail;
  return s;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("image tokens follow each flavour's published rule for the challenge size") {
    REQUIRE(digits_question.size() == 64);
    CHECK(typical_control_tokens(sized(512, 512)).prompt == digits_text);
    CHECK(typical_control_tokens(sized(512, 512)).completion == 10);
    // OpenAI tiles: low is the base 85; high adds 170 per 512-px tile after the 768 px shrink.
    CHECK(typical_probe_tokens(sized(512, 512, "low"), api_flavour::openai_chat).prompt ==
          digits_text + 85);
    CHECK(typical_probe_tokens(sized(512, 512), api_flavour::azure_openai).prompt ==
          digits_text + 255);
    CHECK(typical_probe_tokens(sized(1024, 1024), api_flavour::openai_responses).prompt ==
          digits_text + 85 + 4LL * 170);
    // Anthropic and Bedrock: w*h/750, capped near 1600.
    CHECK(typical_probe_tokens(sized(512, 512), api_flavour::anthropic_messages).prompt ==
          digits_text + 350);
    CHECK(typical_probe_tokens(sized(4096, 4096), api_flavour::bedrock_converse).prompt ==
          digits_text + 1600);
    // Gemini: 258 up to 384 px, else per tile of min side / 1.5 (960x540: 6 tiles).
    CHECK(typical_probe_tokens(sized(384, 384), api_flavour::gemini).prompt == digits_text + 258);
    CHECK(typical_probe_tokens(sized(960, 540), api_flavour::gemini).prompt ==
          digits_text + 6LL * 258);
    // Two images: twice the image tokens, and the multi-image question.
    auto two = sized(512, 512, "low");
    two.challenge.images = 2;
    CHECK(typical_probe_tokens(two, api_flavour::openai_chat).prompt ==
          typical_control_tokens(two).prompt + 170);
    // A short max_tokens caps the answer.
    auto terse = sized(512, 512);
    terse.challenge.max_tokens = 3;
    CHECK(typical_probe_tokens(terse, api_flavour::openai_chat).completion == 3);
  }

  TEST_CASE("the worst case counts the slot and every retry that fits before the next one") {
    route_settings s;
    s.interval = 60s;
    CHECK(worst_case_probes_per_day(s) == doctest::Approx(2880));  // default retry: 30 s
    s.retry_interval = 25s;  // slot, +25 s, +50 s
    CHECK(worst_case_probes_per_day(s) == doctest::Approx(4320));
    s.retry_interval = 60s;
    CHECK(worst_case_probes_per_day(s) == doctest::Approx(1440));
    s.interval = 1h;
    s.retry_interval.reset();  // default 15 min: at most 4 times the usual spend
    CHECK(worst_case_probes_per_day(s) == doctest::Approx(96));
  }

  TEST_CASE("the projection sums each gateway's routes at their prices and warns over budget") {
    config cfg;
    cfg.gateways.resize(2);
    cfg.gateways[0].name = "pricey";
    cfg.gateways[0].budget.daily_usd = 1.0;
    cfg.gateways[1].name = "free";
    route_config r;
    r.name = "r1";
    r.gateway = "pricey";
    r.settings.interval = 60s;
    r.settings.challenge.detail = "low";
    // $1 per prompt token, $2 per completion token: the sums are token counts.
    r.settings.price = {1'000'000, 2'000'000};
    cfg.routes.push_back(r);
    r.name = "r2";
    r.gateway = "free";
    r.settings.price = {};
    cfg.routes.push_back(r);
    const auto p = project_daily_spend(cfg);
    REQUIRE(p.size() == 2);
    CHECK(p[0].gateway == "pricey");
    CHECK(p[0].probes == doctest::Approx(1440));
    CHECK(p[0].control == doctest::Approx(24));
    CHECK(p[0].worst_probes == doctest::Approx(2880));
    const double probe = (digits_text + 85) + 2LL * 10;
    const double control = digits_text + 2LL * 10;
    CHECK(p[0].usd == doctest::Approx(1440 * probe + 24 * control));
    CHECK(p[0].worst_usd == doctest::Approx(2880 * probe + 24 * control));
    CHECK(p[0].priced);
    CHECK_FALSE(p[1].priced);
    CHECK(p[1].usd == 0.0);
    CHECK(projection_line(p[1]) ==
          "gateway free: 1440 probes + 24 control requests a day; if every probe failed (retried "
          "at retry_interval): 2880 probes; no price set");
    cfg.global.budget.daily_usd = 5.0;
    const auto warnings = projection_warnings(cfg, p);
    REQUIRE(warnings.size() == 2);
    CHECK(warnings[0].starts_with("gateway pricey: the projected spend of $"));
    CHECK(warnings[0].ends_with(" a day is over its budget of $1.00; its probes will pause before "
                                "the day ends (UTC)"));
    CHECK(warnings[1].find("over global.budget.daily_usd $5.00") != std::string::npos);
  }

  TEST_CASE("each request form of a route's shapes adds its control requests - image shapes none") {
    config cfg;
    cfg.gateways.resize(1);
    cfg.gateways[0].name = "gw";
    route_config r;
    r.name = "r1";
    r.gateway = "gw";
    r.settings.interval = 60s;
    r.settings.shapes = {probe_shape::plain, probe_shape::jpeg, probe_shape::rgba};
    cfg.routes.push_back(r);
    CHECK(project_daily_spend(cfg)[0].control == doctest::Approx(24));
    cfg.routes[0].settings.shapes = {probe_shape::plain, probe_shape::tools, probe_shape::history};
    const auto p = project_daily_spend(cfg)[0];
    CHECK(p.control == doctest::Approx(72));
    CHECK(p.probes == doctest::Approx(1440));  // the rotation: one probe per interval still
  }
}
