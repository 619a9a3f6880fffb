#include "daemon/sim/sim_bedrock_stream.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "probes/adapter.hpp"
#include "probes/aws_event_stream.hpp"
#include "probes/text_util.hpp"
#include "tests/support/bedrock_fixture_reply.hpp"
#include "tests/support/test_paths.hpp"

using namespace visionwatch;
using namespace std::chrono_literals;
using nlohmann::json;
namespace es = visionwatch::aws_event_stream;

namespace {

/// The fixture's whole Converse reply, as sim_native answers /converse.
response_plan fixture_reply() {
  const auto f =
      json::parse(test::read_file(test::fixtures_dir() / "api-flavours" / "bedrock-converse.json"));
  return response_plan::json(f.at("response").at("body").dump());
}

std::string body_of(const response_plan& p) {
  std::string out;
  for (const auto& piece : p.pieces) {
    out += piece.bytes;
  }
  return out;
}

/// The :event-type (or :exception-type) of every frame of the plan's body.
std::vector<std::string> frame_types(const response_plan& p) {
  es::reader r;
  std::vector<es::message> frames;
  REQUIRE(r.feed(body_of(p), frames));
  REQUIRE(r.finish());
  std::vector<std::string> out;
  out.reserve(frames.size());
  for (const auto& f : frames) {
    const auto type = f.string_header(":event-type");
    out.emplace_back(type.empty() ? f.string_header(":exception-type") : type);
  }
  return out;
}

/// What visionwatch's own decoder makes of the streamed plan.
reply decode(const response_plan& p) {
  auto d = make_stream_decoder(api_flavour::bedrock_converse);
  header_list headers;
  for (const auto& [k, v] : p.headers) {
    headers.emplace_back(ascii_lower(k), v);
  }
  REQUIRE(d->on_headers(p.status, headers));
  for (const auto& piece : p.pieces) {
    if (d->on_body(piece.bytes).stop) {
      break;
    }
  }
  http_result h;
  h.status = p.status;
  h.headers = headers;
  h.streamed = true;
  return d->finish(h, std::chrono::system_clock::time_point{});
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the sim streams a Converse reply as the fixture's event sequence") {
    sim_stream_options o;
    o.first_token_delay = 300ms;
    o.delta_interval = 7ms;
    const auto p = stream_bedrock_reply(fixture_reply(), o);
    CHECK(p.status == 200);
    CHECK(p.body.empty());
    CHECK_FALSE(p.cut_after_pieces);
    CHECK(frame_types(p) == std::vector<std::string>{"messageStart",
                                                     "contentBlockDelta",
                                                     "contentBlockDelta",
                                                     "contentBlockDelta",
                                                     "contentBlockDelta",
                                                     "contentBlockStop",
                                                     "messageStop",
                                                     "metadata"});
    bool content_type = false;
    for (const auto& [k, v] : p.headers) {
      content_type =
          content_type || (k == "Content-Type" && v == "application/vnd.amazon.eventstream");
    }
    CHECK(content_type);
    // messageStart with the head; the first text after the first-token delay.
    REQUIRE(p.pieces.size() == 8);
    CHECK(p.pieces[0].after == 0ms);
    CHECK(p.pieces[1].after == 300ms);
    CHECK(p.pieces[2].after == 7ms);
    test::check_bedrock_fixture_reply(decode(p));
  }

  TEST_CASE("the sim's Bedrock stream error is the fixture's throttlingException after a token") {
    sim_stream_options o;
    o.ending = sim_stream_ending::error_event;
    const auto p = stream_bedrock_reply(fixture_reply(), o);
    CHECK(frame_types(p) ==
          std::vector<std::string>{"messageStart", "contentBlockDelta", "throttlingException"});
    const reply r = decode(p);
    CHECK(r.text == "A");
    CHECK(r.stream_error ==
          "error event after HTTP 200: Too many requests, please wait before trying again. You "
          "have sent too many requests. Wait before trying again. (throttlingException)");
  }

  TEST_CASE("the sim's cut-off Bedrock stream stops after the first token") {
    sim_stream_options o;
    o.ending = sim_stream_ending::cut_off;
    const auto p = stream_bedrock_reply(fixture_reply(), o);
    CHECK(p.cut_after_pieces);
    CHECK(frame_types(p) == std::vector<std::string>{"messageStart", "contentBlockDelta"});
    const reply r = decode(p);
    CHECK(r.stream_error == "the stream ended before its final event (messageStop and metadata)");
    CHECK_FALSE(r.tokens.present());
  }

  TEST_CASE("errors and bodies that are no Converse reply are not streamed") {
    auto throttled = response_plan::json(R"({"message":"Too many tokens"})", 429);
    throttled.headers.emplace_back("x-amzn-ErrorType", "ThrottlingException:http://x/");
    const auto p = stream_bedrock_reply(throttled, {});
    CHECK(p.status == 429);
    CHECK(p.pieces.empty());
    CHECK(p.body == throttled.body);
    CHECK(stream_bedrock_reply(response_plan::json(R"({"output":{}})"), {}).pieces.empty());
    CHECK(stream_bedrock_reply(response_plan::with_action(response_plan::action::reset), {})
              .pieces.empty());
  }
}
