// The request shapes in the simulated gateway, without sockets: every flavour's adapter builds
// the probe of each shape (and its text-only control), the sim answers it in that flavour, the
// adapter parses the answer and the verdict judges it. A healthy model passes every shape; each
// shape-breaking behaviour fails exactly its own shape, in every flavour.
#include "daemon/sim/sim_shapes.hpp"

#include <doctest/doctest.h>

#include <array>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon/sim/sim_flavours.hpp"
#include "daemon/sim/sim_native.hpp"
#include "probes/adapter.hpp"
#include "probes/challenge.hpp"
#include "probes/probe_shape.hpp"
#include "probes/text_util.hpp"
#include "probes/verdict.hpp"
#include "tests/support/flavour_cases.hpp"

using nlohmann::json;
using namespace visionwatch;
using namespace visionwatch::test;

namespace {

constexpr const char* shapes_key = "sk-sim-shapes-key-0123456789";

/// What the demo gateway does with a request: native paths to sim_native, the rest to
/// sim_flavours.
response_plan answer(sim_model& model, const received_request& r, sim_behaviour b) {
  native_keys keys;
  keys.gemini_api_key = shapes_key;
  keys.bedrock_api_key = shapes_key;
  if (const auto call = native_call_of(r)) {
    return respond_native(model, keys, r, *call, b);
  }
  return sim_flavours::respond(model, r, b);
}

struct shape_exchange {
  unsigned status = 0;
  reply rep;
};

shape_exchange run_shape(api_flavour f, const probe_request& pr, sim_behaviour b) {
  sim_model model;
  const response_plan plan = answer(model, as_received(build_request(f, pr)), b);
  http_result h;
  h.status = plan.status;
  h.body = plan.body;
  for (const auto& [name, value] : plan.headers) {
    h.headers.emplace_back(ascii_lower(name), value);
  }
  return {plan.status, parse_reply(f, h, std::chrono::system_clock::time_point{})};
}

std::string base_url(api_flavour f) {
  switch (f) {
    case api_flavour::azure_openai:
      return "http://127.0.0.1:1/openai";
    case api_flavour::gemini:
      return "http://127.0.0.1:1/v1beta";
    case api_flavour::bedrock_converse:
      return "http://127.0.0.1:1";
    default:
      return "http://127.0.0.1:1/v1";
  }
}

const challenge& digits() {
  static const challenge c =
      make_challenge(challenge_options{challenge_kind::digits, 512, 512}, 4821);
  return c;
}

/// The probe of `shape` in flavour `f`; without images: its control request.
probe_request probe_of(api_flavour f, probe_shape shape, bool images = true) {
  probe_request r;
  r.base_url = base_url(f);
  r.model = "vision-healthy";
  r.prompt = digits().question;
  if (images) {
    r.images.push_back(image_part{data_url(digits().media_type, digits().image), ""});
  }
  r.max_tokens = 50;
  r.api_key = shapes_key;
  apply_shape(shape, r);
  return r;
}

struct judged_probe {
  verdict v;
  long long prompt_tokens = 0;
  long long baseline = 0;
  std::string text;
};

/// The control request of the shape (the baseline), then the image probe judged against it.
judged_probe probe(api_flavour f, probe_shape shape, sim_behaviour b) {
  const shape_exchange control = run_shape(f, probe_of(f, shape, false), b);
  REQUIRE(control.status == 200);
  REQUIRE(control.rep.tokens.prompt_tokens);
  const shape_exchange x = run_shape(f, probe_of(f, shape), b);
  REQUIRE(x.status == 200);
  REQUIRE(x.rep.well_formed);
  REQUIRE(x.rep.tokens.prompt_tokens);
  answer_expectation expect;
  expect.kind = challenge_kind::digits;
  expect.answer = digits().answer;
  expect.model = "vision-healthy";
  judged_probe out;
  out.baseline = *control.rep.tokens.prompt_tokens;
  out.prompt_tokens = *x.rep.tokens.prompt_tokens;
  out.text = x.rep.text;
  http_result ok;
  ok.status = 200;
  out.v = judge(ok, x.rep, expect, out.baseline, verdict_checks{});
  return out;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE(
      "a healthy sim passes every shape in every flavour - the control differs by the image") {
    for (const auto f : every_flavour()) {
      std::optional<long long> image_growth;
      for (const auto shape : request_form_shapes) {
        CAPTURE(to_string(f));
        CAPTURE(to_string(shape));
        const judged_probe p = probe(f, shape, sim_behaviour::healthy);
        CHECK(p.v.result == outcome::ok);
        CHECK(p.v.reason.empty());
        CHECK(p.text == digits().answer);
        // The shape's text bills the same in the probe and its control: the growth is the image.
        if (!image_growth) {
          image_growth = p.prompt_tokens - p.baseline;
          CHECK(*image_growth > 50);
        }
        CHECK(p.prompt_tokens - p.baseline == *image_growth);
      }
    }
  }

  TEST_CASE("each shape-breaking sim behaviour fails exactly its shape in every flavour") {
    const std::array<std::pair<sim_behaviour, probe_shape>, 3> breaks = {
        std::pair{sim_behaviour::drops_image_with_tools, probe_shape::tools},
        std::pair{sim_behaviour::drops_image_with_system, probe_shape::system},
        std::pair{sim_behaviour::drops_earlier_images, probe_shape::history}};
    for (const auto& [behaviour, broken] : breaks) {
      for (const auto f : every_flavour()) {
        for (const auto shape : request_form_shapes) {
          CAPTURE(to_string(behaviour));
          CAPTURE(to_string(f));
          CAPTURE(to_string(shape));
          const judged_probe p = probe(f, shape, behaviour);
          if (shape == broken) {
            // The model says it got no image, and the usage agrees: text only.
            CHECK(p.v.result == outcome::no_image_claim);
            CHECK(p.text.find("No image provided.") != std::string::npos);
            CHECK(p.prompt_tokens == p.baseline);
          } else {
            CHECK(p.v.result == outcome::ok);
            CHECK(p.prompt_tokens > p.baseline);
          }
        }
      }
    }
  }

  TEST_CASE("the behaviours have names for vision-<behaviour> models") {
    for (const auto* name :
         {"drops_image_with_tools", "drops_image_with_system", "drops_earlier_images"}) {
      const auto b = sim_behaviour_from_string(name);
      REQUIRE(b);
      CHECK(to_string(*b) == name);
    }
  }

  TEST_CASE("the chat parser keeps the last user turn as the prompt - the rest as context") {
    const json body = {
        {"model", "m"},
        {"messages",
         json::array(
             {{{"role", "system"}, {"content", "Be exact."}},
              {{"role", "user"},
               {"content",
                json::array({{{"type", "text"}, {"text", "Look."}},
                             {{"type", "image_url"},
                              {"image_url", {{"url", "data:image/png;base64,iVBORw0K"}}}}})}},
              {{"role", "assistant"}, {"content", "I see it."}},
              {{"role", "user"},
               {"content", json::array({{{"type", "text"}, {"text", "Which?"}}})}}})},
        {"tools",
         json::array({{{"type", "function"}, {"function", {{"name", "get_current_time"}}}}})}};
    const auto req = parse_chat_request(body.dump());
    REQUIRE(req);
    CHECK(req->prompt == "Which?");
    CHECK(req->system == "Be exact.");
    REQUIRE(req->tools.size() == 1);
    CHECK(req->tools[0] == "get_current_time");
    CHECK(req->user_turns == 2);
    REQUIRE(req->images.size() == 1);
    CHECK(req->images[0].earlier);
    CHECK(sim_shapes::text_tokens(*req) > sim_model::text_tokens("Which?"));
    CHECK_FALSE(
        sim_shapes::image_arrives(sim_behaviour::drops_earlier_images, *req, req->images[0]));
    CHECK_FALSE(
        sim_shapes::image_arrives(sim_behaviour::drops_image_with_tools, *req, req->images[0]));
    CHECK_FALSE(
        sim_shapes::image_arrives(sim_behaviour::drops_image_with_system, *req, req->images[0]));
    CHECK(sim_shapes::image_arrives(sim_behaviour::healthy, *req, req->images[0]));

    // A plain request: one user turn, nothing beside the prompt.
    const auto plain = parse_chat_request(
        R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"Which?"}]}]})");
    REQUIRE(plain);
    CHECK(plain->context_bytes == 0);
    CHECK(sim_shapes::text_tokens(*plain) == sim_model::text_tokens("Which?"));
  }

  TEST_CASE("the sim refuses the shape forms the real APIs refuse") {
    std::string error;
    // Gemini: an OBJECT schema without properties, a role other than user or model.
    CHECK_FALSE(sim_shapes::chat_from_gemini(
        json::parse(R"({"contents":[{"parts":[{"text":"q"}]}],"tools":[{"functionDeclarations":[
          {"name":"f","parameters":{"type":"object","properties":{}}}]}]})"),
        "m",
        error));
    CHECK(error.find("should be non-empty for OBJECT type") != std::string::npos);
    CHECK_FALSE(sim_shapes::chat_from_gemini(
        json::parse(R"({"contents":[{"role":"assistant","parts":[{"text":"q"}]}]})"), "m", error));
    CHECK(error == "Please use a valid role: user, model.");
    // Bedrock: the conversation starts with the user and alternates; a tool needs a schema.
    CHECK_FALSE(sim_shapes::chat_from_bedrock(
        json::parse(R"({"messages":[{"role":"assistant","content":[{"text":"a"}]}]})"),
        "m",
        error));
    CHECK(error.find("must start with a user message") != std::string::npos);
    CHECK_FALSE(sim_shapes::chat_from_bedrock(
        json::parse(R"({"messages":[{"role":"user","content":[{"text":"a"}]},
                                    {"role":"user","content":[{"text":"b"}]}]})"),
        "m",
        error));
    CHECK(error.find("must alternate between user and assistant") != std::string::npos);
    CHECK_FALSE(sim_shapes::chat_from_bedrock(
        json::parse(R"({"messages":[{"role":"user","content":[{"text":"a"}]}],
                        "toolConfig":{"tools":[{"toolSpec":{"name":"f"}}]}})"),
        "m",
        error));
    CHECK(error.find("inputSchema") != std::string::npos);
    // Anthropic: no "system" role among the messages; a tool needs input_schema.
    json chat;
    auto refused = sim_shapes::add_anthropic_shape(
        json::parse(
            R"({"messages":[{"role":"system","content":"s"},{"role":"user","content":"q"}]})"),
        chat);
    REQUIRE(refused);
    CHECK(refused->find("Unexpected role \"system\"") != std::string::npos);
    refused = sim_shapes::add_anthropic_shape(json::parse(R"({"tools":[{"name":"f"}]})"), chat);
    REQUIRE(refused);
    CHECK(*refused == "tools.0.custom.input_schema: Field required");
    // Responses: a strict tool needs a closed schema.
    refused = sim_shapes::add_responses_shape(
        json::parse(R"({"tools":[{"type":"function","name":"f","strict":true,
                                  "parameters":{"type":"object","properties":{}}}]})"),
        chat);
    REQUIRE(refused);
    CHECK(refused->find("additionalProperties") != std::string::npos);
  }

  TEST_CASE("malformed shape members are read without throwing") {
    const std::array<const char*, 8> bodies = {
        R"({"contents":[{"role":"user","parts":"x"},{"parts":[1,null,{"inline_data":7}]}]})",
        R"({"contents":[{"parts":[{"text":"q"}]}],"systemInstruction":"s","tools":{"a":1}})",
        R"({"contents":[{"parts":[]}],"tools":[7,{"functionDeclarations":[1,{"name":{}}]}]})",
        R"({"messages":[{"role":"user","content":"q"}],"system":"s","toolConfig":{"tools":3}})",
        R"({"messages":[{"role":"user","content":[7,{"image":{"source":"x"}}]}]})",
        R"({"messages":[{"role":7}],"tools":[{"type":"function","strict":"yes"}],"instructions":3})",
        R"({"system":[1,{"text":2}],"tools":[{"input_schema":1,"name":[]}],"messages":7})",
        R"([1,2,3])"};
    for (const char* text : bodies) {
      CAPTURE(text);
      const json body = json::parse(text);
      std::string error;
      json chat = {{"messages", json::array()}};
      CHECK_NOTHROW((void)sim_shapes::chat_from_gemini(body, "m", error));
      CHECK_NOTHROW((void)sim_shapes::chat_from_bedrock(body, "m", error));
      CHECK_NOTHROW((void)sim_shapes::add_responses_shape(body, chat));
      CHECK_NOTHROW((void)sim_shapes::add_anthropic_shape(body, chat));
      chat_request out;
      CHECK_NOTHROW(sim_shapes::take_tools(body, out));
      if (body.is_object() && body.contains("messages") && body["messages"].is_array()) {
        for (const auto& m : body["messages"]) {
          CHECK_NOTHROW(sim_shapes::take_message(m, out));
        }
      }
    }
  }

  TEST_CASE("a refused shape is the flavour's HTTP 400 through the sim") {
    // A system message where Anthropic refuses it, sent by hand (the adapter never does).
    auto pr = probe_of(api_flavour::anthropic_messages, probe_shape::plain);
    http_request req = build_request(api_flavour::anthropic_messages, pr);
    json body = json::parse(req.body);
    body["messages"].insert(body["messages"].begin(), json{{"role", "system"}, {"content", "s"}});
    req.body = body.dump();
    sim_model model;
    const auto plan = answer(model, as_received(req), sim_behaviour::healthy);
    CHECK(plan.status == 400);
    http_result h;
    h.status = plan.status;
    h.body = plan.body;
    const reply r = parse_reply(api_flavour::anthropic_messages, h);
    CHECK(r.error_message.find("top-level `system`") != std::string::npos);
  }
}
