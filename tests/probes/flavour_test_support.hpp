#pragma once
// Shared by the flavour tests (openai_chat_test, openai_responses_test, anthropic_messages_test,
// azure_openai_test, gemini_test, bedrock_converse_test, sigv4_test, their stream tests): the
// api-flavours fixtures, header look-ups, canned responses, usage checks and the names the files
// open with.

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "probes/adapter.hpp"
#include "probes/text_util.hpp"
#include "tests/support/test_paths.hpp"

namespace visionwatch::test {

/// ../shared/fixtures/api-flavours/<name>, parsed once per name.
inline const nlohmann::json& flavour_fixture(const std::string& name) {
  static std::map<std::string, nlohmann::json> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    it =
        cache
            .emplace(name, nlohmann::json::parse(read_file(fixtures_dir() / "api-flavours" / name)))
            .first;
  }
  return it->second;
}

/// The value of header `name` (case-insensitive), or "<absent>".
inline std::string header_value(const header_list& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (ascii_iequals(k, name)) {
      return v;
    }
  }
  return "<absent>";
}
inline std::string header_value(const http_request& req, std::string_view name) {
  return header_value(req.headers, name);
}

/// How often header `name` (case-insensitive) is set.
inline std::size_t header_count(const header_list& headers, std::string_view name) {
  std::size_t n = 0;
  for (const auto& [k, v] : headers) {
    n += ascii_iequals(k, name) ? 1 : 0;
  }
  return n;
}
inline std::size_t header_count(const http_request& req, std::string_view name) {
  return header_count(req.headers, name);
}

/// `req` sets header `name` (case-insensitive) exactly once, to `value`.
inline void check_header_once(const http_request& req,
                              std::string_view name,
                              std::string_view value) {
  CHECK(header_count(req, name) == 1);
  CHECK(header_value(req, name) == value);
}

/// `build(r)` with `extra` as r's extra headers sets each of them exactly once: an extra header
/// replaces the flavour's own header of the same name (its key header too).
template <class Build>
void check_extra_headers_replace(probe_request r, const header_list& extra, Build build) {
  r.extra_headers = extra;
  const http_request req = build(r);
  for (const auto& [name, value] : extra) {
    check_header_once(req, name, value);
  }
}

/// A response as the HTTP client hands it over (header names lower-cased).
inline http_result response(unsigned status, std::string body, header_list headers = {}) {
  http_result r;
  r.status = status;
  r.body = std::move(body);
  for (auto& [k, v] : headers) {
    r.headers.emplace_back(ascii_lower(k), std::move(v));
  }
  return r;
}

/// A fixed "now" for Retry-After dates.
inline const auto fixed_now =
    std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + std::chrono::hours{12};

/// The fixture's 1x1 PNG as a data URL, and its raw base64.
inline constexpr std::string_view fixture_png_base64 =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
inline std::string fixture_png_data_url() {
  return "data:image/png;base64," + std::string(fixture_png_base64);
}

/// Every token count of `got` is `want`'s ({prompt, completion, total, image, cached}); a count
/// `want` leaves unset (std::nullopt) must be unset.
inline void check_usage(const usage& got, const usage& want) {
  CHECK(got.prompt_tokens == want.prompt_tokens);
  CHECK(got.completion_tokens == want.completion_tokens);
  CHECK(got.total_tokens == want.total_tokens);
  CHECK(got.image_tokens == want.image_tokens);
  CHECK(got.cached_tokens == want.cached_tokens);
}

/// Anthropic's 429 body at the spend limit, saying `message`: the fixture gives the marker, not a
/// body (error.details.error_code).
inline nlohmann::json anthropic_spend_limit_error(std::string message) {
  return {{"type", "error"},
          {"error",
           {{"type", "rate_limit_error"},
            {"message", std::move(message)},
            {"details", {{"error_code", "enforced_spend_limit_reached"}}}}}};
}

/// A key that must never appear in a request body.
inline constexpr std::string_view test_key = "sk-flavour-test-secret-0123";

/// A probe of one image, the request every flavour test starts from (a fixture's request or a
/// small one of the test's own); the fields it leaves alone keep probe_request's defaults.
inline probe_request one_image_request(std::string base_url,
                                       std::string model,
                                       std::string prompt,
                                       image_part image,
                                       int max_tokens,
                                       std::string api_key = std::string(test_key)) {
  probe_request r;
  r.base_url = std::move(base_url);
  r.model = std::move(model);
  r.prompt = std::move(prompt);
  r.images.push_back(std::move(image));
  r.max_tokens = max_tokens;
  r.api_key = std::move(api_key);
  return r;
}

/// `r`'s text-only control request at temperature 0 and without max_tokens, as the flavour tests
/// send it.
inline probe_request control_request(probe_request r) {
  r.images.clear();
  r.temperature = 0.0;
  r.max_tokens.reset();
  return r;
}

/// `req` is the fixture's image request (its `request` object): a POST to its `url` whose body
/// is, as JSON, its `body_base64_image`.
inline void check_fixture_request(const http_request& req, const nlohmann::json& fixture_request) {
  CHECK(req.method == "POST");
  CHECK(req.url == fixture_request.at("url").get<std::string>());
  CHECK(nlohmann::json::parse(req.body) == fixture_request.at("body_base64_image"));
}

}  // namespace visionwatch::test

/// The names a flavour test opens with, taken in by one `using namespace
/// visionwatch::flavour_test_names;` inside the file's own namespace: visionwatch,
/// visionwatch::test (also as `vt`), nlohmann's json and std::chrono::seconds.
namespace visionwatch::flavour_test_names {
using namespace visionwatch;
using namespace visionwatch::test;
namespace vt = visionwatch::test;
using nlohmann::json;
using std::chrono::seconds;
}  // namespace visionwatch::flavour_test_names
