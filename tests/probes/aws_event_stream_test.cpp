#include "probes/aws_event_stream.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace aws_event_stream_test {

using namespace visionwatch;
namespace es = visionwatch::aws_event_stream;

namespace {

/// The Bedrock converse-stream sequence of bedrock-converse.json, framed.
std::string bedrock_stream() {
  const std::vector<std::pair<std::string, std::string>> events = {
      {"messageStart", R"({"role":"assistant"})"},
      {"contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"A small"}})"},
      {"contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":" green square."}})"},
      {"contentBlockStop", R"({"contentBlockIndex":0})"},
      {"messageStop", R"({"stopReason":"end_turn"})"},
      {"metadata",
       R"({"usage":{"inputTokens":26,"outputTokens":8,"totalTokens":34},)"
       R"("metrics":{"latencyMs":398}})"},
  };
  std::string out;
  for (const auto& [type, payload] : events) {
    out += es::encode(es::event_message(type, payload));
  }
  return out;
}

std::vector<es::message> read_split(std::string_view s, std::size_t at, std::string& error) {
  es::reader r;
  std::vector<es::message> out;
  // Every call runs whatever the earlier ones returned; a failure is read from r.error().
  (void)r.feed(s.substr(0, at), out);
  (void)r.feed(s.substr(at), out);
  (void)r.finish();
  error = r.error();
  return out;
}

/// `bytes` followed by their CRC-32, big-endian, as a prelude or a message ends on the wire.
std::string with_crc(std::string bytes) {
  const std::uint32_t crc = es::crc32(bytes);
  for (int shift = 24; shift >= 0; shift -= 8) {
    bytes += static_cast<char>((crc >> shift) & 0xFF);
  }
  return bytes;
}

/// The error of a fresh reader that must refuse `bytes`.
std::string refusal_of(std::string_view bytes) {
  es::reader r;
  std::vector<es::message> out;
  CHECK_FALSE(r.feed(bytes, out));
  return r.error();
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("zlib's crc32 gives the IEEE check value") {
    CHECK(es::crc32("123456789") == 0xCBF43926U);
    CHECK(es::crc32("") == 0);
  }

  TEST_CASE("the smallest frame matches the AWS event stream test vector byte for byte") {
    // awslabs/aws-c-event-stream test: an empty message is 16 bytes with these CRCs.
    const std::string empty = es::encode(es::message{});
    const std::string expected("\x00\x00\x00\x10\x00\x00\x00\x00\x05\xc2\x48\xeb\x7d\x98\xc8\xff",
                               16);
    CHECK(empty == expected);
    // The same suite's payload-only message: "{'foo':'bar'}".
    es::message m;
    m.payload = "{'foo':'bar'}";
    const std::string with_payload(
        "\x00\x00\x00\x1D\x00\x00\x00\x00\xfd\x52\x8c\x5a{'foo':'bar'}\xc3\x65\x39\x36", 29);
    CHECK(es::encode(m) == with_payload);
    es::reader r;
    std::vector<es::message> out;
    REQUIRE(r.feed(expected + with_payload, out));
    REQUIRE(out.size() == 2);
    CHECK(out[0].payload.empty());
    CHECK(out[1].payload == "{'foo':'bar'}");
  }

  TEST_CASE("the Bedrock event sequence reads the same at every byte split") {
    const std::string stream = bedrock_stream();
    for (std::size_t at = 0; at <= stream.size(); ++at) {
      std::string error;
      const auto messages = read_split(stream, at, error);
      REQUIRE(error.empty());
      REQUIRE(messages.size() == 6);
      CHECK(messages[0].string_header(":event-type") == "messageStart");
      CHECK(messages[1].payload == R"({"contentBlockIndex":0,"delta":{"text":"A small"}})");
      CHECK(messages[5].string_header(":message-type") == "event");
      CHECK(messages[5].string_header(":content-type") == "application/json");
    }
  }

  TEST_CASE("every header value type round-trips") {
    es::message m;
    auto add = [&](std::string name, es::header_type t, std::int64_t v, std::string bytes = {}) {
      es::header h;
      h.name = std::move(name);
      h.type = t;
      h.integer = v;
      h.bytes = std::move(bytes);
      m.headers.push_back(std::move(h));
    };
    add("t", es::header_type::bool_true, 1);
    add("f", es::header_type::bool_false, 0);
    add("b", es::header_type::byte, -5);
    add("s", es::header_type::int16, -300);
    add("i", es::header_type::int32, 70000);
    add("l", es::header_type::int64, -5'000'000'000);
    add("a", es::header_type::byte_array, 0, std::string("\x00\x01\xff", 3));
    add("str", es::header_type::string, 0, "hello");
    add("ts", es::header_type::timestamp, 1'721'631'035'000);
    add("u", es::header_type::uuid, 0, "0123456789abcdef");
    m.payload = "{}";
    es::reader r;
    std::vector<es::message> out;
    REQUIRE(r.feed(es::encode(m), out));
    REQUIRE(out.size() == 1);
    const auto& h = out[0].headers;
    REQUIRE(h.size() == m.headers.size());
    for (std::size_t i = 0; i < h.size(); ++i) {
      CHECK(h[i].name == m.headers[i].name);
      CHECK(h[i].type == m.headers[i].type);
      CHECK(h[i].integer == m.headers[i].integer);
      CHECK(h[i].bytes == m.headers[i].bytes);
    }
    CHECK(out[0].string_header("str") == "hello");
    CHECK(out[0].string_header("a").empty());  // a byte array is no string
  }

  TEST_CASE("a flipped bit anywhere in a frame is a CRC error - never a message") {
    es::message m;
    m.headers = {es::make_string_header(":event-type", "contentBlockDelta")};
    m.payload = R"({"delta":{"text":"x"}})";
    const std::string frame = es::encode(m);
    for (std::size_t i = 0; i < frame.size(); ++i) {
      std::string bad = frame;
      bad[i] = static_cast<char>(bad[i] ^ 0x01);
      es::reader r;
      std::vector<es::message> out;
      const bool ok = r.feed(bad, out) && r.finish();
      CHECK_FALSE(ok);
      CHECK(out.empty());
      const bool named = r.error().find("CRC mismatch") != std::string::npos ||
                         r.error().find("ended inside a message") != std::string::npos;
      CHECK_MESSAGE(named, r.error());
    }
  }

  TEST_CASE("a frame over the cap is refused at its prelude - before it is buffered") {
    es::message m;
    m.payload = std::string(2000, 'x');
    const std::string frame = es::encode(m);
    es::reader r(1024);
    std::vector<es::message> out;
    CHECK_FALSE(r.feed(std::string_view(frame).substr(0, 12), out));
    CHECK(r.error() == "event stream message of 2016 bytes exceeds the 1024-byte cap");
  }

  TEST_CASE("a prelude whose lengths cannot hold a message is refused even with a good CRC") {
    const std::string prelude = with_crc(std::string("\x00\x00\x00\x08\x00\x00\x00\x00", 8));
    CHECK(refusal_of(prelude).find("cannot hold its headers") != std::string::npos);
  }

  TEST_CASE("a header that runs past its block is an error") {
    es::message m;
    m.headers = {es::make_string_header("name", "value")};
    std::string frame = es::encode(m);
    // Claim a longer string value (byte 12 + 1 + 4 + 1 is the length's high byte).
    frame[12 + 1 + 4 + 1 + 1] = 0x40;
    // Recompute the message CRC so only the header is wrong.
    const std::string fixed = with_crc(frame.substr(0, frame.size() - 4));
    CHECK(refusal_of(fixed) == "event stream header 'name' runs past its block");
  }

  TEST_CASE("a stream that stops inside a frame is an error at finish") {
    const std::string stream = bedrock_stream();
    es::reader r;
    std::vector<es::message> out;
    REQUIRE(r.feed(std::string_view(stream).substr(0, stream.size() - 3), out));
    CHECK(out.size() == 5);
    CHECK_FALSE(r.finish());
    CHECK(r.error().find("ended inside a message") != std::string::npos);
  }
}

}  // namespace aws_event_stream_test
