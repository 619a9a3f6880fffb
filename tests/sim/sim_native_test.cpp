#include "daemon/sim/sim_native.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "probes/adapter.hpp"
#include "probes/challenge.hpp"
#include "probes/text_util.hpp"
#include "tests/sim/sim_test_support.hpp"
#include "tests/support/flavour_cases.hpp"

using namespace visionwatch;
using nlohmann::json;
using visionwatch::test::as_received;

namespace {

constexpr const char* secret = "sim-native-test-secret-key-0123456789abcd";

using test::as_received;

native_keys keys() {
  native_keys k;
  k.gemini_api_key = "AIzaSIMNATIVEKEY";
  k.aws_access_key_id = "AKIDEXAMPLE";
  k.aws_secret_access_key = secret;
  return k;
}

probe_request color_probe(const std::string& base_url) {
  const auto c = make_challenge(challenge_options{challenge_kind::color, 256, 256}, 42);
  probe_request r;
  r.base_url = base_url;
  r.model = "vision-healthy";
  r.prompt = c.question;
  r.images.push_back(image_part{png_data_url(c.image), ""});
  r.api_key = "AIzaSIMNATIVEKEY";
  r.aws_region = "eu-west-3";
  r.aws_credentials = {"AKIDEXAMPLE", secret, ""};
  return r;
}

/// SigV4 instead of the Gemini key.
probe_request bedrock_probe(const std::string& base_url) {
  auto r = color_probe(base_url);
  r.api_key.clear();
  return r;
}

std::string expected_colour() {
  return make_challenge(challenge_options{challenge_kind::color, 256, 256}, 42).answer;
}

response_plan answer(const http_request& req, sim_behaviour b = sim_behaviour::healthy) {
  sim_model model;
  const auto r = as_received(req);
  const auto call = native_call_of(r);
  REQUIRE(call);
  return respond_native(model, keys(), r, *call, b);
}

reply parse_plan(api_flavour f, const response_plan& p) {
  return parse_reply(f, test::as_result(p), std::chrono::system_clock::time_point{});
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("native calls are recognised by their path - after any base path") {
    received_request r;
    r.target = "/v1/models/vision-healthy:generateContent?x=1";
    REQUIRE(native_call_of(r));
    CHECK(native_call_of(r)->api == native_api::gemini);
    CHECK(native_call_of(r)->model == "vision-healthy");
    r.target = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse";
    REQUIRE(native_call_of(r));
    CHECK(native_call_of(r)->api == native_api::bedrock_converse);
    CHECK(native_call_of(r)->model == "anthropic.claude-3-haiku-20240307-v1:0");
    r.target = "/v1/chat/completions";
    CHECK_FALSE(native_call_of(r));
  }

  TEST_CASE("the sim answers a Gemini probe in Gemini's shape - image tokens separate") {
    const auto plan =
        answer(build_request(api_flavour::gemini, color_probe("http://127.0.0.1:1/v1beta")));
    REQUIRE(plan.status == 200);
    const auto rep = parse_plan(api_flavour::gemini, plan);
    CHECK(rep.well_formed);
    CHECK(ascii_lower(rep.text).find(expected_colour()) != std::string::npos);
    CHECK(rep.model == "vision-healthy");
    REQUIRE(rep.tokens.image_tokens);
    CHECK(*rep.tokens.image_tokens > 0);
  }

  TEST_CASE("the sim refuses a wrong Gemini key the way Gemini does: HTTP 400 API_KEY_INVALID") {
    auto probe = color_probe("http://127.0.0.1:1/v1beta");
    probe.api_key = "AIzaWRONG";
    const auto plan = answer(build_request(api_flavour::gemini, probe));
    CHECK(plan.status == 400);
    const auto rep = parse_plan(api_flavour::gemini, plan);
    CHECK(rep.error_code == "API_KEY_INVALID");
  }

  TEST_CASE("the sim verifies Bedrock SigV4 signatures with the same keys") {
    const auto req =
        build_request(api_flavour::bedrock_converse, bedrock_probe("http://127.0.0.1:4566"));
    const auto ok = answer(req);
    REQUIRE(ok.status == 200);
    const auto rep = parse_plan(api_flavour::bedrock_converse, ok);
    CHECK(ascii_lower(rep.text).find(expected_colour()) != std::string::npos);
    CHECK(rep.tokens.prompt_tokens > 0);
    CHECK_FALSE(rep.tokens.image_tokens);

    auto wrong_secret = bedrock_probe("http://127.0.0.1:4566");
    wrong_secret.aws_credentials.secret_access_key = "not-the-secret";
    const auto refused = answer(build_request(api_flavour::bedrock_converse, wrong_secret));
    CHECK(refused.status == 403);
    CHECK(parse_plan(api_flavour::bedrock_converse, refused).error_code ==
          "InvalidSignatureException");

    auto tampered = req;
    tampered.body.back() = ' ';
    CHECK(answer(tampered).status == 403);

    auto unknown_id = bedrock_probe("http://127.0.0.1:4566");
    unknown_id.aws_credentials.access_key_id = "AKIDOTHER";
    CHECK(parse_plan(api_flavour::bedrock_converse,
                     answer(build_request(api_flavour::bedrock_converse, unknown_id)))
              .error_code == "UnrecognizedClientException");
  }

  TEST_CASE("the sim checks SigV4 on converse-stream too and streams the reply") {
    auto probe = bedrock_probe("http://127.0.0.1:4566/v1");
    probe.stream = true;
    const auto req = build_request(api_flavour::bedrock_converse, probe);
    REQUIRE(native_call_of(as_received(req)));
    CHECK(native_call_of(as_received(req))->stream);
    CHECK(native_call_of(as_received(req))->model == "vision-healthy");
    const auto streamed = answer(req);
    CHECK(streamed.status == 200);
    CHECK(streamed.body.empty());
    CHECK(streamed.pieces.size() > 3);

    auto tampered = req;
    tampered.url.replace(tampered.url.find("/converse-stream"), 16, "/converse");
    CHECK(answer(tampered).status == 403);  // the signature covered the stream path
    probe.aws_credentials.secret_access_key = "not-the-secret";
    const auto refused = answer(build_request(api_flavour::bedrock_converse, probe));
    CHECK(refused.status == 403);
    CHECK(refused.pieces.empty());
  }

  TEST_CASE("the sim's dropped image reads as a no-image claim in both flavours") {
    for (const auto f : {api_flavour::gemini, api_flavour::bedrock_converse}) {
      CAPTURE(to_string(f));
      auto probe = f == api_flavour::gemini ? color_probe("http://127.0.0.1:4566/v1")
                                            : bedrock_probe("http://127.0.0.1:4566/v1");
      const auto plan = answer(build_request(f, probe), sim_behaviour::drops_image_says_so);
      const auto rep = parse_plan(f, plan);
      CHECK(rep.text.find("No image provided") != std::string::npos);
    }
  }
}
