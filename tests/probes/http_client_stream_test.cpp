// The http client's streamed reads (http_request::sink): the body reaches the sink piece by piece
// as the server writes it, the first text is timed, and the body cap, the deadline and a cut
// stream behave as the contract in probes/http_body_stream.hpp says. Loopback sim gateway.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <string>
#include <vector>

#include "daemon/sim/sim_gateway.hpp"
#include "daemon/sim/sim_stream.hpp"
#include "probes/adapter.hpp"
#include "probes/http_client.hpp"

namespace http_client_stream_test {

namespace {

using namespace std::chrono_literals;
using namespace visionwatch;

/// Records what the client hands it; reports text once a piece containing "TEXT" arrived.
class recording_sink final : public body_sink {
 public:
  bool take = true;
  std::size_t stop_after_pieces = 0;  ///< non-zero: ask to stop after this many pieces
  unsigned status = 0;
  std::vector<std::string> pieces;
  bool text = false;

  bool on_headers(unsigned s, const header_list&) override {
    status = s;
    return take;
  }
  body_progress on_body(std::string_view bytes) override {
    pieces.emplace_back(bytes);
    text = text || bytes.find("TEXT") != std::string_view::npos;
    return {text, stop_after_pieces != 0 && pieces.size() >= stop_after_pieces};
  }
  [[nodiscard]] std::string all() const {
    std::string out;
    for (const auto& p : pieces) {
      out += p;
    }
    return out;
  }
};

client_options options() {
  client_options o;
  o.use_env_proxy = false;
  return o;
}

/// Sends `req` through a client of its own on a private io_context (by value: the function
/// that holds the coroutine owns what it awaits).
http_result send_one(client_options o, http_request req) {
  net::io_context ioc;
  http_client client(ioc.get_executor(), o);
  http_result out;
  net::co_spawn(
      ioc, [&]() -> net::awaitable<void> { out = co_await client.send(req); }, rethrow_on_error);
  ioc.run();
  return out;
}

http_result fetch(const sim_gateway& gw,
                  body_sink& sink,
                  client_options o = options(),
                  std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
  http_request req;
  req.url = gw.base_url() + "/chat/completions";
  req.body = "{}";
  req.sink = &sink;
  req.timeout = timeout;
  return send_one(std::move(o), std::move(req));
}

std::unique_ptr<sim_gateway> serve(response_plan plan) {
  auto gw = std::make_unique<sim_gateway>(
      [plan = std::move(plan)](const received_request&) { return plan; });
  gw->start();
  return gw;
}

response_plan pieces(std::vector<response_plan::timed_piece> parts) {
  response_plan p;
  p.headers = {{"Content-Type", "text/event-stream"}};
  p.pieces = std::move(parts);
  return p;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("a streamed body reaches the sink as written and its first text is timed") {
    auto gw = serve(pieces({{0ms, "data: role\n\n"},
                            {300ms, "data: TEXT\n\n"},
                            {50ms, "data: more\n\n"},
                            {0ms, "data: [DONE]\n\n"}}));
    recording_sink sink;
    const auto r = fetch(*gw, sink);
    REQUIRE(r.ok());
    CHECK(r.status == 200);
    CHECK(r.streamed);
    CHECK(r.body.empty());
    CHECK(r.stream_interrupted.empty());
    CHECK(sink.status == 200);
    CHECK(sink.all() == "data: role\n\ndata: TEXT\n\ndata: more\n\ndata: [DONE]\n\n");
    // Written 300 ms apart, the role chunk and the text cannot have arrived in one piece.
    CHECK(sink.pieces.size() >= 2);
    REQUIRE(r.phases.first_token.has_value());
    MESSAGE("first_token " << *r.phases.first_token << " s, total " << r.phases.total << " s");
    CHECK(*r.phases.first_token >= 0.3);
    CHECK(*r.phases.first_token <= r.phases.total);
    // The slices still sum to the total: first_token is a mark, not a slice.
    const auto& p = r.phases;
    CHECK(std::abs(p.dns + p.connect + p.tls + p.send + p.ttfb + p.transfer - p.total) < 0.001);
  }

  TEST_CASE("a stream without text has no first token") {
    auto gw = serve(pieces({{0ms, "data: role\n\n"}, {0ms, "data: [DONE]\n\n"}}));
    recording_sink sink;
    const auto r = fetch(*gw, sink);
    REQUIRE(r.ok());
    CHECK_FALSE(r.phases.first_token.has_value());
  }

  TEST_CASE("a stream cut mid-body is still a response - with how it ended") {
    auto p = pieces({{0ms, "data: TEXT\n\n"}, {0ms, "data: partial"}});
    p.cut_after_pieces = true;
    auto gw = serve(p);
    recording_sink sink;
    const auto r = fetch(*gw, sink);
    REQUIRE(r.ok());
    CHECK(r.status == 200);
    CHECK(r.streamed);
    CHECK(r.stream_interrupted.starts_with("the connection closed mid-stream"));
    CHECK(sink.all() == "data: TEXT\n\ndata: partial");
  }

  TEST_CASE("the body cap holds for a stream") {
    std::vector<response_plan::timed_piece> parts;
    parts.reserve(40);
    for (int i = 0; i < 40; ++i) {
      parts.push_back({0ms, std::string(1024, 'x')});
    }
    auto gw = serve(pieces(parts));
    auto o = options();
    o.body_limit = std::size_t{16} * 1024;
    recording_sink sink;
    const auto r = fetch(*gw, sink, o);
    REQUIRE_FALSE(r.ok());
    CHECK(*r.transport_error == outcome::body_too_large);
    CHECK(sink.all().size() <= o.body_limit);
  }

  TEST_CASE("the total deadline holds for a stream that never ends") {
    std::vector<response_plan::timed_piece> parts;
    parts.reserve(100);
    for (int i = 0; i < 100; ++i) {
      parts.push_back({50ms, "data: TEXT\n\n"});
    }
    auto gw = serve(pieces(parts));
    recording_sink sink;
    const auto r = fetch(*gw, sink, options(), 300ms);
    REQUIRE_FALSE(r.ok());
    CHECK(*r.transport_error == outcome::timeout);
    CHECK(r.reason.find("during transfer") != std::string::npos);
    CHECK_FALSE(sink.pieces.empty());
  }

  TEST_CASE("a sink that asks to stop ends the read at once") {
    std::vector<response_plan::timed_piece> parts = {{0ms, "data: error\n\n"}};
    for (int i = 0; i < 100; ++i) {
      parts.push_back({50ms, "data: never read\n\n"});
    }
    auto gw = serve(pieces(parts));
    recording_sink sink;
    sink.stop_after_pieces = 1;
    const auto r = fetch(*gw, sink, options(), 10s);
    REQUIRE(r.ok());
    CHECK(sink.pieces.size() == 1);
    CHECK(r.phases.total < 2.0);  // not the 5 s the server would take
  }

  TEST_CASE("a body the sink declines is read whole as without streaming") {
    auto gw = serve(response_plan::json(R"({"error":{"message":"bad key"}})", 401));
    recording_sink sink;
    sink.take = false;
    const auto r = fetch(*gw, sink);
    REQUIRE(r.ok());
    CHECK(r.status == 401);
    CHECK_FALSE(r.streamed);
    CHECK(r.body == R"({"error":{"message":"bad key"}})");
    CHECK(sink.pieces.empty());
  }

  TEST_CASE("a simulated chat stream decodes end to end through the client") {
    const auto whole = response_plan::json(
        R"({"id":"c","model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"It reads 4821."},"finish_reason":"stop"}],"usage":{"prompt_tokens":120,"completion_tokens":5,"total_tokens":125}})");
    sim_stream_options so;
    so.first_token_delay = 200ms;
    auto gw = serve(stream_chat_reply(whole, so));
    auto decoder = make_stream_decoder(api_flavour::openai_chat);
    const auto r = fetch(*gw, *decoder);
    REQUIRE(r.ok());
    const reply rep = decoder->finish(r, std::chrono::system_clock::now());
    CHECK(rep.well_formed);
    CHECK(rep.stream_error.empty());
    CHECK(rep.text == "It reads 4821.");
    CHECK(rep.model == "gpt-4o-2024-08-06");
    CHECK(rep.tokens.prompt_tokens == 120);
    CHECK(rep.tokens.completion_tokens == 5);
    REQUIRE(r.phases.first_token.has_value());
    CHECK(*r.phases.first_token >= 0.2);

    so.ending = sim_stream_ending::cut_off;
    auto cut = serve(stream_chat_reply(whole, so));
    auto cut_decoder = make_stream_decoder(api_flavour::openai_chat);
    const auto cr = fetch(*cut, *cut_decoder);
    const reply cut_rep = cut_decoder->finish(cr, std::chrono::system_clock::now());
    CHECK(cut_rep.stream_error.starts_with("the stream ended before its final event"));

    so.ending = sim_stream_ending::error_event;
    auto err = serve(stream_chat_reply(whole, so));
    auto err_decoder = make_stream_decoder(api_flavour::openai_chat);
    const auto er = fetch(*err, *err_decoder);
    const reply err_rep = err_decoder->finish(er, std::chrono::system_clock::now());
    CHECK(err_rep.stream_error ==
          "error event after HTTP 200: The server had an error while processing your request. "
          "(server_error)");
  }
}

}  // namespace http_client_stream_test
