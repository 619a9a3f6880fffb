#include "probes/bedrock_converse_stream.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "probes/adapter.hpp"
#include "probes/aws_event_stream.hpp"
#include "probes/sigv4.hpp"
#include "tests/probes/flavour_test_support.hpp"
#include "tests/support/bedrock_fixture_reply.hpp"

namespace bedrock_converse_stream_test {

using namespace visionwatch::flavour_test_names;
namespace es = visionwatch::aws_event_stream;

namespace {

const json& fixture() { return vt::flavour_fixture("bedrock-converse.json"); }

/// One event of the fixture framed as the wire carries it: its headers as string headers, its
/// payload as compact JSON.
std::string frame(const json& e) {
  es::message m;
  for (const auto& [name, value] : e.at("headers").items()) {
    m.headers.push_back(es::make_string_header(name, value.get<std::string>()));
  }
  m.payload = e.at("payload").dump();
  return es::encode(m);
}

/// The fixture's success sequence (every event but the failure variant), framed; `ttft_end`
/// gets the offset just past the frame the fixture marks as the first token.
std::string fixture_stream(std::size_t* ttft_end = nullptr) {
  std::string out;
  for (const auto& e : fixture().at("stream_events")) {
    if (e.contains("note")) {
      continue;
    }
    out += frame(e);
    if (ttft_end != nullptr && e.value("ttft", false)) {
      *ttft_end = out.size();
    }
  }
  return out;
}

/// The fixture's in-stream throttlingException frame.
std::string fixture_exception() { return frame(fixture().at("stream_events").back()); }

std::string event(std::string type, const json& payload) {
  return es::encode(es::event_message(std::move(type), payload.dump()));
}

std::string text_delta(std::string_view text) {
  return event("contentBlockDelta", {{"contentBlockIndex", 0}, {"delta", {{"text", text}}}});
}

http_result streamed_200() {
  http_result r;
  r.status = 200;
  r.headers = {{"content-type", "application/vnd.amazon.eventstream"}};
  r.streamed = true;
  return r;
}

struct decoded {
  reply r;
  std::size_t first_text_after = 0;  ///< bytes fed when text_seen first held (0: never)
  std::size_t fed = 0;               ///< bytes fed before the decoder asked to stop (or all)
  bool stopped = false;
};

/// Feeds `body` to a fresh decoder in pieces of `piece` bytes (0: whole).
decoded decode(std::string_view body, std::size_t piece = 0, http_result res = streamed_200()) {
  auto d = make_stream_decoder(api_flavour::bedrock_converse);
  REQUIRE(d != nullptr);
  decoded out;
  if (d->on_headers(res.status, res.headers)) {
    while (out.fed < body.size() && !out.stopped) {
      const std::size_t n = piece == 0 ? body.size() : std::min(piece, body.size() - out.fed);
      const auto p = d->on_body(body.substr(out.fed, n));
      out.fed += n;
      if (p.text_seen && out.first_text_after == 0) {
        out.first_text_after = out.fed;
      }
      out.stopped = p.stop;
    }
  } else {
    res.streamed = false;
    res.body = std::string(body);
  }
  out.r = d->finish(res, vt::fixed_now);
  return out;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("bedrock stream: the fixture's events give text - stop reason and usage") {
    const auto d = decode(fixture_stream());
    check_bedrock_fixture_reply(d.r);
    CHECK_FALSE(d.stopped);
    // The same as the whole converse reply of the fixture.
    const reply whole = parse_reply(api_flavour::bedrock_converse,
                                    vt::response(200, fixture()["response"]["body"].dump()),
                                    vt::fixed_now);
    CHECK(d.r.text == whole.text);
    CHECK(d.r.finish_reason == whole.finish_reason);
    CHECK(d.r.tokens.prompt_tokens == whole.tokens.prompt_tokens);
  }

  TEST_CASE("bedrock stream: Bedrock names no served model - model stays empty") {
    // Neither converse nor converse-stream carries the model: model_mismatch cannot fire on a
    // made-up name.
    const auto d = decode(fixture_stream());
    CHECK(d.r.model.empty());
    CHECK(parse_reply(api_flavour::bedrock_converse,
                      vt::response(200, fixture()["response"]["body"].dump()),
                      vt::fixed_now)
              .model.empty());
  }

  TEST_CASE("bedrock stream: the first token is the frame the fixture marks - fed byte by byte") {
    std::size_t ttft_end = 0;
    const std::string stream = fixture_stream(&ttft_end);
    REQUIRE(ttft_end > 0);
    const auto d = decode(stream, 1);
    CHECK(d.first_text_after == ttft_end);
    check_bedrock_fixture_reply(d.r);
  }

  TEST_CASE("bedrock stream: every split of the fixture's stream gives the same reply") {
    const std::string stream = fixture_stream();
    for (std::size_t at = 1; at < stream.size(); ++at) {
      CAPTURE(at);
      auto d = make_stream_decoder(api_flavour::bedrock_converse);
      REQUIRE(d->on_headers(200, streamed_200().headers));
      CHECK_FALSE(d->on_body(std::string_view(stream).substr(0, at)).stop);
      CHECK_FALSE(d->on_body(std::string_view(stream).substr(at)).stop);
      check_bedrock_fixture_reply(d->finish(streamed_200(), vt::fixed_now));
    }
  }

  TEST_CASE("bedrock stream: a bad CRC anywhere is a malformed reply - it stops reading") {
    const std::string stream = fixture_stream();
    const std::size_t second = frame(fixture()["stream_events"][0]).size();
    for (const std::size_t at : {std::size_t{5}, second + 9, second + 20, stream.size() - 1}) {
      CAPTURE(at);
      std::string bad = stream;
      bad[at] = static_cast<char>(bad[at] ^ 0x20);
      const auto d = decode(bad);
      CHECK(d.stopped);
      CHECK_FALSE(d.r.well_formed);
      CHECK(d.r.parse_error.starts_with("stream: event stream "));
      CHECK(d.r.parse_error.find("CRC mismatch") != std::string::npos);
      CHECK(d.r.stream_error.empty());
      CHECK_FALSE(d.r.tokens.present());
    }
  }

  TEST_CASE("bedrock stream: a frame over the 1 MiB cap is refused at its prelude") {
    es::message big =
        es::event_message("contentBlockDelta", std::string(std::size_t{1024} * 1024, ' '));
    const std::string stream = text_delta("48") + es::encode(big);
    const auto d = decode(stream, 4096);
    CHECK(d.stopped);
    CHECK(d.fed <= text_delta("48").size() + 4096);  // the prelude was enough
    CHECK_FALSE(d.r.well_formed);
    CHECK(d.r.parse_error.starts_with("stream: event stream message of "));
    CHECK(d.r.parse_error.ends_with(" bytes exceeds the 1048576-byte cap"));
  }

  TEST_CASE("bedrock stream: the fixture's throttlingException after HTTP 200 is a stream error") {
    const std::string stream = event("messageStart", {{"role", "assistant"}}) + text_delta("A") +
                               fixture_exception() + text_delta("late") +
                               event("messageStop", {{"stopReason", "end_turn"}});
    const auto d = decode(stream);
    CHECK(d.stopped);
    CHECK(d.r.well_formed);
    // The message as one line (its double space folded).
    CHECK(d.r.stream_error ==
          "error event after HTTP 200: Too many requests, please wait before trying again. You "
          "have sent too many requests. Wait before trying again. (throttlingException)");
    CHECK(d.r.text == "A");  // nothing after the exception counts
    CHECK(d.r.finish_reason.empty());
  }

  TEST_CASE("bedrock stream: modelStream and validation exceptions and error frames say what") {
    const auto model_error =
        decode(text_delta("x") +
               es::encode(es::exception_message(
                   "modelStreamErrorException",
                   R"({"originalStatusCode":429,"originalMessage":"model overloaded"})")));
    CHECK(model_error.r.stream_error ==
          "error event after HTTP 200: model overloaded (modelStreamErrorException)");
    const auto validation = decode(es::encode(es::exception_message(
        "validationException", R"({"message":"The model returned the following errors: x"})")));
    CHECK(validation.r.stream_error ==
          "error event after HTTP 200: The model returned the following errors: x "
          "(validationException)");
    CHECK(validation.first_text_after == 0);
    es::message error_frame;
    error_frame.headers = {es::make_string_header(":message-type", "error"),
                           es::make_string_header(":error-code", "InternalFailure"),
                           es::make_string_header(":error-message", "internal\nfailure")};
    const auto error = decode(es::encode(error_frame));
    CHECK(error.stopped);
    CHECK(error.r.stream_error == "error event after HTTP 200: internal failure (InternalFailure)");
    const auto not_json =
        decode(es::encode(es::exception_message("internalServerException", "<html>oops")));
    CHECK(not_json.r.stream_error ==
          "error event after HTTP 200: <html>oops (internalServerException)");
  }

  TEST_CASE("bedrock stream: a stream cut before metadata is a stream error without usage") {
    const std::string stream = fixture_stream();
    const std::string metadata = frame(fixture()["stream_events"][5]);
    const std::string_view no_metadata =
        std::string_view(stream).substr(0, stream.size() - metadata.size());
    const auto d = decode(no_metadata);
    CHECK(d.r.well_formed);
    CHECK(d.r.stream_error == "the stream ended before its final event (metadata)");
    CHECK(d.r.text == "A small green square.");  // kept for the excerpt
    CHECK_FALSE(d.r.tokens.present());

    // Cut inside a frame by the peer: the same outcome, saying where it stopped.
    http_result cut = streamed_200();
    cut.stream_interrupted = "the connection closed mid-stream (partial message)";
    const auto mid = decode(std::string_view(stream).substr(0, 100), 0, cut);
    CHECK(mid.r.well_formed);
    CHECK(mid.r.stream_error.starts_with(
        "the stream ended before its final event (messageStop and metadata): event stream ended "
        "inside a message ("));
    CHECK(mid.r.stream_error.ends_with(": the connection closed mid-stream (partial message)"));

    const auto empty = decode("");
    CHECK(empty.r.stream_error ==
          "the stream ended before its final event (messageStop and metadata)");
    const auto no_stop = decode(text_delta("4") + frame(fixture()["stream_events"][5]));
    CHECK(no_stop.r.stream_error == "the stream ended before its final event (messageStop)");
    CHECK_FALSE(no_stop.r.tokens.present());
  }

  TEST_CASE("bedrock stream: usage comes from the metadata event only - the last one counts") {
    const std::string stream =
        text_delta("4821") + event("messageStop", {{"stopReason", "max_tokens"}}) +
        event("metadata",
              {{"usage", {{"inputTokens", 900}, {"outputTokens", 1}, {"totalTokens", 901}}}}) +
        event("metadata",
              {{"usage",
                {{"inputTokens", 900},
                 {"outputTokens", 2},
                 {"totalTokens", 902},
                 {"cacheReadInputTokens", 512}}},
               {"metrics", {{"latencyMs", 398}}}});
    const auto d = decode(stream, 3);
    CHECK(d.r.text == "4821");
    CHECK(d.r.finish_reason == "length");
    // Bedrock folds images into inputTokens: no image count.
    vt::check_usage(d.r.tokens, {900, 2, 902, std::nullopt, 512});
  }

  TEST_CASE("bedrock stream: reasoning deltas go to reasoning - they are no first token") {
    const std::string stream =
        event("contentBlockDelta",
              {{"contentBlockIndex", 0},
               {"delta", {{"reasoningContent", {{"text", "counting the digits"}}}}}}) +
        event("contentBlockDelta",
              {{"contentBlockIndex", 0},
               {"delta", {{"reasoningContent", {{"signature", "c2ln"}}}}}}) +
        event("contentBlockStop", {{"contentBlockIndex", 0}}) + text_delta("") +
        event("contentBlockStart",
              {{"contentBlockIndex", 1}, {"start", {{"toolUse", {{"name", "t"}}}}}}) +
        event("someFutureEvent", {{"x", 1}});
    const auto d = decode(stream, 5);
    CHECK(d.first_text_after == 0);
    CHECK(d.r.text.empty());
    CHECK(d.r.reasoning == "counting the digits");
    CHECK(d.r.well_formed);
  }

  TEST_CASE("bedrock stream: a guardrail that withholds the answer is a refusal") {
    const auto d = decode(event("messageStop", {{"stopReason", "guardrail_intervened"}}) +
                          event("metadata", {{"usage", {{"inputTokens", 5}}}}));
    CHECK(d.r.finish_reason == "content_filter");
    CHECK(d.r.refusal == "the answer was withheld (stopReason guardrail_intervened)");
  }

  TEST_CASE("bedrock stream: a payload that is no JSON object is a malformed reply") {
    const auto not_json =
        decode(text_delta("1") + es::encode(es::event_message("contentBlockDelta", "{oops")));
    CHECK(not_json.stopped);
    CHECK_FALSE(not_json.r.well_formed);
    CHECK(not_json.r.parse_error.starts_with("stream: stream event 2 (contentBlockDelta): "));
    const auto array = decode(event("messageStop", json::array()));
    CHECK(array.r.parse_error ==
          "stream: stream event 1 (messageStop): the payload is an array, expected an object");
  }

  TEST_CASE("bedrock stream: text beyond the reply cap keeps memory bounded") {
    const std::string piece(1024, 'x');
    auto d = make_stream_decoder(api_flavour::bedrock_converse);
    REQUIRE(d->on_headers(200, streamed_200().headers));
    for (int i = 0; i < 200; ++i) {
      REQUIRE_FALSE(d->on_body(text_delta(piece)).stop);
    }
    const reply r = d->finish(streamed_200(), vt::fixed_now);
    CHECK(r.text.size() <= reply_text_limit);
    CHECK(r.text.size() > reply_text_limit - 8);
  }

  TEST_CASE("bedrock stream: an error status or a JSON body is parsed whole") {
    http_result throttled;
    throttled.status = 429;
    throttled.headers = {
        {"content-type", "application/json"},
        {"x-amzn-errortype",
         "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"}};
    const auto t = decode(fixture()["errors"]["429"]["body"].dump(), 0, throttled);
    CHECK(t.r.error_code == "ThrottlingException");
    CHECK(t.r.error_message == "Too many tokens, please wait before trying again.");
    CHECK(t.r.stream_error.empty());

    http_result json_200;
    json_200.status = 200;
    json_200.headers = {{"content-type", "application/json"}};
    const auto whole = decode(fixture()["response"]["body"].dump(), 0, json_200);
    check_bedrock_fixture_reply(whole.r);

    http_result failed;
    failed.transport_error = outcome::timeout;
    auto dec = make_stream_decoder(api_flavour::bedrock_converse);
    const reply r = dec->finish(failed, vt::fixed_now);
    CHECK_FALSE(r.well_formed);
    CHECK(r.stream_error.empty());
  }

  TEST_CASE("bedrock stream: the request goes to converse-stream - signed on that path") {
    const json& worked = fixture()["sigv4"]["worked_example"];
    probe_request req;
    req.base_url = "https://bedrock-runtime.us-east-1.amazonaws.com";
    req.model = "anthropic.claude-3-haiku-20240307-v1:0";
    req.prompt = "ping";
    req.max_tokens = 16;
    req.now = std::chrono::sys_days{std::chrono::year{2026} / 8 / 22} + std::chrono::hours{12};
    req.aws_region = "us-east-1";
    req.aws_credentials = {worked["credentials"]["access_key"].get<std::string>(),
                           worked["credentials"]["secret_key"].get<std::string>(),
                           ""};
    const http_request plain = build_request(api_flavour::bedrock_converse, req);
    req.stream = true;
    const http_request streamed = build_request(api_flavour::bedrock_converse, req);
    CHECK(streamed.url ==
          "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
          "anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream");
    CHECK(streamed.body == plain.body);  // the same body: ConverseStream takes Converse's
    CHECK(vt::header_value(streamed, "accept") == "application/vnd.amazon.eventstream");
    // A server recomputes the signature over the path as received: %3A signed as %253A.
    const auto server = sigv4::compute("POST",
                                       "/model/anthropic.claude-3-haiku-20240307-v1%3A0/"
                                       "converse-stream",
                                       streamed.headers,
                                       streamed.body,
                                       req.aws_credentials,
                                       {"us-east-1", "bedrock", req.now});
    CHECK(server.canonical_request.find(
              "\n/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse-stream\n") !=
          std::string::npos);
    CHECK(vt::header_value(streamed, "authorization") == server.authorization);
    CHECK(vt::header_value(streamed, "authorization") != vt::header_value(plain, "authorization"));
    CHECK(can_stream(api_flavour::bedrock_converse));
  }
}

}  // namespace bedrock_converse_stream_test
