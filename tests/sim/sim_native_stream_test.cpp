// The simulated gateway's streams in every SSE flavour, without sockets: a streamed request
// built by each flavour's adapter is answered whole by the sim (sim_flavours, sim_native),
// streamed by stream_reply, and the pieces fed to that flavour's own stream decoder.
#include "daemon/sim/sim_native_stream.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "daemon/sim/sim_flavours.hpp"
#include "daemon/sim/sim_native.hpp"
#include "probes/adapter.hpp"
#include "probes/challenge.hpp"
#include "tests/sim/sim_test_support.hpp"

using namespace visionwatch;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::vector<api_flavour> sse_flavours = {api_flavour::openai_chat,
                                               api_flavour::openai_responses,
                                               api_flavour::anthropic_messages,
                                               api_flavour::azure_openai,
                                               api_flavour::gemini};

probe_request digits_probe(api_flavour f, bool stream) {
  const auto c = make_challenge(challenge_options{challenge_kind::digits, 256, 256}, 7);
  probe_request r;
  r.base_url =
      f == api_flavour::azure_openai ? "http://127.0.0.1:1/v1/openai" : "http://127.0.0.1:1/v1";
  r.model = "vision-healthy";
  r.prompt = c.question;
  r.images.push_back(image_part{png_data_url(c.image), "low"});
  r.api_key = "k";
  r.stream = stream;
  return r;
}

/// What the sim answers whole, in the request's flavour.
response_plan answer_whole(const received_request& req, sim_behaviour b) {
  sim_model model;
  if (const auto call = native_call_of(req)) {
    return respond_native(model, native_keys{}, req, *call, b);
  }
  return sim_flavours::respond(model, req, b);
}

struct streamed {
  response_plan plan;
  reply whole;  ///< the same answer parsed whole
  reply r;      ///< the stream through the flavour's decoder
  /// Index of the piece after which the decoder first saw text; -1: never.
  int first_text_piece = -1;
};

streamed run(api_flavour f,
             sim_stream_ending ending = sim_stream_ending::complete,
             sim_behaviour b = sim_behaviour::healthy) {
  streamed out;
  const auto req = test::as_received(build_request(f, digits_probe(f, true)));
  REQUIRE(asks_for_stream(req));
  const response_plan whole = answer_whole(req, b);
  out.whole = parse_reply(f, test::as_result(whole));
  sim_stream_options o;
  o.first_token_delay = 250ms;
  o.ending = ending;
  out.plan = stream_reply(req, whole, o);
  http_result head = test::as_result(out.plan);
  head.streamed = !out.plan.pieces.empty();
  if (out.plan.cut_after_pieces) {
    head.stream_interrupted = "the connection closed mid-stream";
  }
  auto d = make_stream_decoder(f);
  // An error answered whole is read whole, as the client does.
  REQUIRE(d->on_headers(head.status, head.headers) == head.streamed);
  for (std::size_t i = 0; i < out.plan.pieces.size(); ++i) {
    const auto p = d->on_body(out.plan.pieces[i].bytes);
    if (p.text_seen && out.first_text_piece < 0) {
      out.first_text_piece = static_cast<int>(i);
    }
  }
  out.r = d->finish(head, {});
  return out;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("every SSE flavour's sim stream decodes to the whole reply with its usage") {
    for (const auto f : sse_flavours) {
      CAPTURE(to_string(f));
      const auto s = run(f);
      REQUIRE_FALSE(s.plan.pieces.empty());
      CHECK(test::as_result(s.plan).header("content-type") == "text/event-stream; charset=utf-8");
      CHECK(s.r.well_formed);
      CHECK_MESSAGE(s.r.stream_error.empty(), s.r.stream_error);
      REQUIRE_FALSE(s.whole.text.empty());
      CHECK(s.r.text == s.whole.text);
      CHECK(s.r.finish_reason == s.whole.finish_reason);
      CHECK(s.r.model == s.whole.model);
      REQUIRE(s.whole.tokens.prompt_tokens);
      CHECK(s.r.tokens.prompt_tokens == s.whole.tokens.prompt_tokens);
      CHECK(s.r.tokens.completion_tokens == s.whole.tokens.completion_tokens);
      CHECK(s.r.tokens.image_tokens == s.whole.tokens.image_tokens);
      // The first text is the first piece written after the first-token delay.
      REQUIRE(s.first_text_piece >= 0);
      CHECK(s.plan.pieces[static_cast<std::size_t>(s.first_text_piece)].after == 250ms);
      for (int i = 0; i < s.first_text_piece; ++i) {
        CHECK(s.plan.pieces[static_cast<std::size_t>(i)].after == 0ms);
      }
    }
  }

  TEST_CASE("Gemini's sim stream reports the image tokens of the last chunk") {
    const auto s = run(api_flavour::gemini);
    REQUIRE(s.r.tokens.image_tokens);
    CHECK(*s.r.tokens.image_tokens > 0);
    // usageMetadata on every chunk, cumulative: intermediate counts stay below the final one.
    CHECK(s.plan.pieces.size() > 2);
    CHECK(s.plan.pieces.front().bytes.find("\"usageMetadata\"") != std::string::npos);
  }

  TEST_CASE("Azure's sim stream opens with an empty choices chunk") {
    const auto s = run(api_flavour::azure_openai);
    const std::string& first = s.plan.pieces.front().bytes;
    CHECK(first.starts_with("data: {"));
    const auto j = json::parse(first.substr(6, first.find("\n\n") - 6));
    CHECK(j.at("choices").empty());
    CHECK(j.contains("prompt_filter_results"));
  }

  TEST_CASE("every SSE flavour's broken sim stream is a stream error after its first text") {
    const std::vector<std::pair<sim_stream_ending, std::string>> endings = {
        {sim_stream_ending::error_event, "error event after HTTP 200: "},
        {sim_stream_ending::cut_off, "the stream ended before its final event ("}};
    for (const auto& [ending, reason] : endings) {
      for (const auto f : sse_flavours) {
        CAPTURE(to_string(f));
        CAPTURE(reason);
        const auto s = run(f, ending);
        CHECK(s.r.well_formed);
        CHECK(s.r.stream_error.starts_with(reason));
        CHECK(s.plan.cut_after_pieces == (ending == sim_stream_ending::cut_off));
        CHECK_FALSE(s.r.text.empty());  // the first text went out before the break
        CHECK_FALSE(s.r.tokens.present());
      }
    }
  }

  TEST_CASE("a rate-limited sim reply is not streamed and keeps its retry hint") {
    for (const auto f : sse_flavours) {
      CAPTURE(to_string(f));
      const auto s = run(f, sim_stream_ending::complete, sim_behaviour::rate_limited);
      CHECK(s.plan.status == 429);
      CHECK(s.plan.pieces.empty());
      CHECK(s.whole.retry_after == sim_retry_after);
      CHECK(s.r.retry_after == sim_retry_after);
    }
  }

  TEST_CASE("a request without a stream is answered whole") {
    for (const auto f : sse_flavours) {
      CAPTURE(to_string(f));
      const auto req = test::as_received(build_request(f, digits_probe(f, false)));
      CHECK_FALSE(asks_for_stream(req));
      const auto whole = answer_whole(req, sim_behaviour::healthy);
      const auto plan = stream_reply(req, whole, {});
      CHECK(plan.pieces.empty());
      CHECK(plan.body == whole.body);
    }
  }

  TEST_CASE("Gemini's streamGenerateContent without alt=sse answers a JSON array") {
    auto req = test::as_received(
        build_request(api_flavour::gemini, digits_probe(api_flavour::gemini, true)));
    req.target = req.target.substr(0, req.target.find('?'));
    REQUIRE(asks_for_stream(req));
    const auto plan = stream_reply(req, answer_whole(req, sim_behaviour::healthy), {});
    CHECK(plan.pieces.empty());
    const auto j = json::parse(plan.body);
    REQUIRE(j.is_array());
    const reply r = parse_reply(api_flavour::gemini, test::as_result(plan));
    CHECK(r.well_formed);
    CHECK_FALSE(r.text.empty());
  }
}
