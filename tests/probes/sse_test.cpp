#include "probes/sse.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace sse_test {

using namespace visionwatch;

namespace {

/// Every event of `stream` fed in two pieces split at `at`, then finished.
std::vector<sse::event> read_split(std::string_view stream,
                                   std::size_t at,
                                   std::string* error = nullptr) {
  sse::reader r;
  std::vector<sse::event> out;
  // Every call runs whatever the earlier ones returned; a failure is read from r.error().
  (void)r.feed(stream.substr(0, at), out);
  (void)r.feed(stream.substr(at), out);
  (void)r.finish(out);
  if (error != nullptr) {
    *error = r.error();
  }
  return out;
}

/// The same events whatever the split: one call, every two-piece split, one byte at a time.
std::vector<sse::event> read_every_way(std::string_view stream) {
  auto whole = read_split(stream, stream.size());
  for (std::size_t at = 0; at <= stream.size(); ++at) {
    const auto split = read_split(stream, at);
    REQUIRE(split.size() == whole.size());
    for (std::size_t i = 0; i < whole.size(); ++i) {
      CHECK(split[i].type == whole[i].type);
      CHECK(split[i].data == whole[i].data);
      CHECK(split[i].id == whole[i].id);
    }
  }
  sse::reader bytewise;
  std::vector<sse::event> one_by_one;
  for (char c : stream) {
    REQUIRE(bytewise.feed(std::string_view(&c, 1), one_by_one));
  }
  REQUIRE(bytewise.finish(one_by_one));
  REQUIRE(one_by_one.size() == whole.size());
  for (std::size_t i = 0; i < whole.size(); ++i) {
    CHECK(one_by_one[i].data == whole[i].data);
  }
  return whole;
}

/// `stream`, read every way, gives exactly `expected`: each event's type, data and id.
void check_events(std::string_view stream, const std::vector<sse::event>& expected) {
  const auto events = read_every_way(stream);
  REQUIRE(events.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK(events[i].type == expected[i].type);
    CHECK(events[i].data == expected[i].data);
    CHECK(events[i].id == expected[i].id);
  }
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("data-only events are read the same at every split - [DONE] included") {
    check_events(
        "data: {\"a\":1}\n\n"
        "data: {\"b\":\"x y\"}\n\n"
        "data: [DONE]\n\n",
        {{"", R"({"a":1})", ""}, {"", R"({"b":"x y"})", ""}, {"", "[DONE]", ""}});
  }

  TEST_CASE("named events - multi-line data - comments and ids are read as the spec says") {
    check_events(
        ": keep-alive comment\n"
        "event: message_start\n"
        "id: 7\n"
        "data: {\"type\":\"message_start\",\n"
        "data:\"x\":1}\n"
        "retry: 1000\n"
        "unknown: field\n"
        "\n"
        "event: ping\n"
        "data: {\"type\": \"ping\"}\n"
        "\n",
        {{"message_start", "{\"type\":\"message_start\",\n\"x\":1}", "7"},
         // the id does not carry over to the next event
         {"ping", R"({"type": "ping"})", ""}});
  }

  TEST_CASE("CRLF - LF and lone CR line ends all work - even with a CRLF split across feeds") {
    const std::string crlf = "event: a\r\ndata: 1\r\n\r\ndata: 2\r\n\r\n";
    const std::string cr = "event: a\rdata: 1\r\rdata: 2\r\r";
    const std::string lf = "event: a\ndata: 1\n\ndata: 2\n\n";
    for (const auto* s : {&crlf, &cr, &lf}) {
      // the type does not carry over to the next event
      check_events(*s, {{"a", "1", ""}, {"", "2", ""}});
    }
  }

  TEST_CASE("an event without data is not dispatched and a field without a colon is a name") {
    check_events("event: ping\n\ndata\n\n", {{"", "", ""}});
  }

  TEST_CASE("a leading BOM is dropped - also when it arrives split") {
    check_events(
        "\xEF\xBB\xBF"
        "data: x\n\n",
        {{"", "x", ""}});
  }

  TEST_CASE("the last event is delivered at the end even without its blank line") {
    check_events("data: a\n\ndata: [DONE]", {{"", "a", ""}, {"", "[DONE]", ""}});
  }

  TEST_CASE("an endless line without a newline is an error at the cap - with bounded memory") {
    sse::reader r(1024);
    std::vector<sse::event> out;
    const std::string piece(100, 'x');
    bool ok = r.feed("data: ", out);
    for (int i = 0; i < 100 && ok; ++i) {
      ok = r.feed(piece, out);
    }
    CHECK_FALSE(ok);
    CHECK(r.error() == "SSE line longer than 1024 bytes without a newline");
    CHECK(out.empty());
    CHECK_FALSE(r.feed("\n\n", out));  // broken for good
    CHECK_FALSE(r.finish(out));
    CHECK(out.empty());
  }

  TEST_CASE("an event of many short data lines is an error at the cap") {
    sse::reader r(1024);
    std::vector<sse::event> out;
    bool ok = true;
    for (int i = 0; i < 200 && ok; ++i) {
      ok = r.feed("data: 0123456789\n", out);
    }
    CHECK_FALSE(ok);
    CHECK(r.error() == "SSE event larger than 1024 bytes");
    CHECK(out.empty());
  }

  TEST_CASE("events under the cap pass however many there are") {
    sse::reader r(64);
    std::vector<sse::event> out;
    for (int i = 0; i < 1000; ++i) {
      REQUIRE(r.feed("data: 0123456789\n\n", out));
    }
    CHECK(out.size() == 1000);
  }
}

}  // namespace sse_test
