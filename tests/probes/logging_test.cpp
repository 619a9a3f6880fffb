#include "probes/logging.hpp"

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/support/captured_log.hpp"

namespace logging_test {

using namespace visionwatch;

namespace {

using visionwatch::test::captured_log;

/// The text after the timestamp and level of the first line ("2026-...Z info probe a=b").
std::string message_of(const std::string& line) {
  const auto level_end = line.find(' ', line.find(' ') + 1);
  return line.substr(level_end + 1, line.find('\n') - level_end - 1);
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("a text log line writes its fields in order and quotes the values that need it") {
    const captured_log log("text");
    log_line line(spdlog::level::warn, "probe");
    line.field("route", "r1")
        .field("reason", "answer \"42\" is not 4821\nat all")
        .field("empty", "")
        .field("eq", "a=b")
        .field("status", std::uint64_t{200})
        .field("delta", std::int64_t{-3})
        .field("latency_s", 0.0123456, 3)
        .field("cost_usd", 1.5, 6);
    line.emit();
    CHECK(message_of(log.text()) ==
          R"(probe route=r1 reason="answer \"42\" is not 4821 at all" empty="" eq="a=b" )"
          R"(status=200 delta=-3 latency_s=0.012 cost_usd=1.500000)");
  }

  TEST_CASE("a json log line is one object with every field as an escaped string") {
    const captured_log log("json");
    log_line line(spdlog::level::info, "probe \"x\"");
    line.field("route", "r\t1")
        .field("bad_utf8",
               std::string_view("a\xff"
                                "b"))
        .field("control", std::string_view("\x01", 1))
        .field("status", std::uint64_t{429})
        .field("latency_s", 2.0, 3);
    line.emit();
    const std::string text = log.text();
    REQUIRE(text.ends_with("}\n"));
    const auto j = nlohmann::json::parse(text);
    CHECK(j.at("level") == "info");
    CHECK(j.at("ts").get<std::string>().ends_with("Z"));
    CHECK(j.at("msg") == "probe \"x\"");
    CHECK(j.at("route") == "r\t1");
    CHECK(j.at("bad_utf8") ==
          "a\xEF\xBF\xBD"
          "b");
    CHECK(j.at("control") == "\x01");
    CHECK(j.at("status") == "429");
    CHECK(j.at("latency_s") == "2.000");
    // Members in the order they were added, after ts and level.
    CHECK(text.find(R"("msg")") < text.find(R"("route")"));
    CHECK(text.find(R"("route")") < text.find(R"("status")"));
  }

  TEST_CASE("plain messages and log_event lines stay valid json") {
    const captured_log log("json");
    spdlog::info("plain \"quoted\" {}", 7);
    log_event(spdlog::level::err, "admin stream failed", {{"error", "broken\npipe"}});
    std::istringstream lines(log.text());
    std::string first;
    std::string second;
    std::getline(lines, first);
    std::getline(lines, second);
    CHECK(nlohmann::json::parse(first).at("msg") == "plain \"quoted\" 7");
    const auto event = nlohmann::json::parse(second);
    CHECK(event.at("msg") == "admin stream failed");
    CHECK(event.at("error") == "broken\npipe");
    CHECK(event.at("level") == "error");
  }

  TEST_CASE("a log line below the level is not formatted or written") {
    const captured_log log("text", "warn");
    log_line line(spdlog::level::info, "probe");
    CHECK_FALSE(line.enabled());
    line.field("route", "r1");
    line.emit();
    CHECK(log.text().empty());
  }
}

}  // namespace logging_test
