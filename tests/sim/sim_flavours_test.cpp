// The simulated gateway's native flavours, without sockets: a request built by each flavour's
// adapter is answered by sim_flavours in that flavour's shape, and the adapter parses it back.
#include "daemon/sim/sim_flavours.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "probes/adapter.hpp"
#include "probes/challenge.hpp"
#include "tests/sim/sim_test_support.hpp"

using nlohmann::json;
using namespace visionwatch;

namespace {

constexpr const char* key = "sk-sim-flavour-key-0123";

using test::as_received;

struct exchange {
  reply rep;
  unsigned status = 0;
  json body;
};

exchange run(api_flavour f, const probe_request& pr, sim_behaviour b, const std::string& k = key) {
  sim_model::options o;
  o.expected_api_key = k;
  sim_model model(o);
  const auto plan = sim_flavours::respond(model, as_received(build_request(f, pr)), b);
  const http_result h = test::as_result(plan);
  return {parse_reply(f, h), plan.status, json::parse(plan.body, nullptr, false)};
}

probe_request digits_probe(std::uint64_t seed) {
  const auto c = make_challenge(challenge_options{challenge_kind::digits, 512, 512}, seed);
  probe_request r;
  r.base_url = "http://127.0.0.1:1/v1";
  r.model = "vision-healthy";
  r.prompt = c.question;
  r.images.push_back(image_part{png_data_url(c.image), "low"});
  r.max_tokens = 50;
  r.api_key = key;
  return r;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("each native flavour is answered in its own shape and parses back to the answer") {
    const auto c = make_challenge(challenge_options{challenge_kind::digits, 512, 512}, 42);
    for (const auto f : {api_flavour::openai_responses,
                         api_flavour::anthropic_messages,
                         api_flavour::azure_openai}) {
      CAPTURE(to_string(f));
      auto pr = digits_probe(42);
      if (f == api_flavour::azure_openai) {
        pr.base_url += "/openai";
      }
      const auto x = run(f, pr, sim_behaviour::healthy);
      CHECK(x.status == 200);
      CHECK(x.rep.well_formed);
      CHECK(x.rep.text == c.answer);
      CHECK(x.rep.finish_reason == "stop");
      // The image counts: detail low adds 85 tokens over the text; Anthropic has no detail.
      const std::string detail = f == api_flavour::anthropic_messages ? "" : "low";
      CHECK(x.rep.tokens.prompt_tokens ==
            sim_model::text_tokens(pr.prompt) + sim_model::image_tokens(c.image, detail));
      if (f == api_flavour::openai_responses) {
        CHECK(x.body["object"] == "response");
      } else if (f == api_flavour::anthropic_messages) {
        CHECK(x.body["type"] == "message");
      } else {
        CHECK(x.body.contains("prompt_filter_results"));
      }
    }
  }

  TEST_CASE("a dropped image is billed as text only and the model says so in every flavour") {
    for (const auto f : {api_flavour::openai_responses,
                         api_flavour::anthropic_messages,
                         api_flavour::azure_openai}) {
      CAPTURE(to_string(f));
      const auto pr = digits_probe(7);
      const auto x = run(f, pr, sim_behaviour::drops_image_says_so);
      CHECK(x.rep.well_formed);
      CHECK(x.rep.text.find("No image provided.") != std::string::npos);
      CHECK(x.rep.tokens.prompt_tokens == sim_model::text_tokens(pr.prompt));
    }
  }

  TEST_CASE("a wrong key gets each flavour's 401 error body") {
    const auto pr = digits_probe(1);
    auto x = run(api_flavour::anthropic_messages, pr, sim_behaviour::healthy, "another-key-000");
    CHECK(x.status == 401);
    CHECK(x.body["type"] == "error");
    CHECK(x.body["error"]["type"] == "authentication_error");
    CHECK(x.rep.error_code == "authentication_error");
    x = run(api_flavour::azure_openai, pr, sim_behaviour::healthy, "another-key-000");
    CHECK(x.body["error"]["code"] == "401");
    x = run(api_flavour::openai_responses, pr, sim_behaviour::healthy, "another-key-000");
    CHECK(x.body["error"]["type"] == "invalid_request_error");
    CHECK(x.rep.error_message.starts_with("the API key or token was refused"));
  }

  TEST_CASE("the sim refuses what the real APIs refuse") {
    auto pr = digits_probe(1);
    sim_model model;
    auto req = as_received(build_request(api_flavour::anthropic_messages, pr));
    std::erase_if(req.headers, [](const auto& h) { return h.first == "anthropic-version"; });
    auto plan = sim_flavours::respond(model, req, sim_behaviour::healthy);
    CHECK(plan.status == 400);
    CHECK(plan.body.find("anthropic-version") != std::string::npos);

    req = as_received(build_request(api_flavour::azure_openai, pr));
    req.target = req.target.substr(0, req.target.find('?'));
    plan = sim_flavours::respond(model, req, sim_behaviour::healthy);
    CHECK(plan.status == 404);
  }

  TEST_CASE("the model is the body's - or the Azure deployment in the path") {
    received_request r;
    r.target = "/openai/deployments/vision%2Dhealthy/chat/completions?api-version=1";
    CHECK(sim_flavours::wire_of(r) == sim_flavours::wire::azure_openai);
    CHECK(sim_flavours::model_of(r) == "vision-healthy");
    r.target = "/v1/messages";
    r.body = R"({"model":"vision-slow"})";
    CHECK(sim_flavours::wire_of(r) == sim_flavours::wire::anthropic_messages);
    CHECK(sim_flavours::model_of(r) == "vision-slow");
    r.target = "/v1/chat/completions";
    CHECK(sim_flavours::wire_of(r) == sim_flavours::wire::openai_chat);
  }
}
