#pragma once
// Mutation checks shared by the native flavours' tests: every fixture body truncated at every
// byte and with every value swapped for every JSON type must parse without throwing and keep
// reply.hpp's invariants (caps, valid UTF-8, one-line messages, sane counts).
#include <doctest/doctest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "probes/adapter.hpp"
#include "probes/retry_after.hpp"
#include "probes/text_util.hpp"

namespace visionwatch::test {

inline bool reply_invariants_hold(const reply& r) {
  const auto one_line = [](std::string_view s) {
    return s.find_first_of("\r\n") == std::string_view::npos;
  };
  const auto sane = [](const std::optional<long long>& v) {
    return !v || (*v >= 0 && *v <= max_token_count);
  };
  return r.well_formed == r.parse_error.empty() && r.text.size() <= reply_text_limit &&
         is_valid_utf8(r.text) && r.refusal.size() <= reply_text_limit &&
         is_valid_utf8(r.refusal) && r.reasoning.size() <= reply_text_limit &&
         is_valid_utf8(r.reasoning) && r.error_message.size() <= reply_error_limit &&
         is_valid_utf8(r.error_message) && one_line(r.error_message) &&
         r.parse_error.size() <= reply_error_limit && is_valid_utf8(r.parse_error) &&
         one_line(r.parse_error) && is_valid_utf8(r.error_code) && one_line(r.error_code) &&
         is_valid_utf8(r.model) && one_line(r.model) && is_valid_utf8(r.finish_reason) &&
         sane(r.tokens.prompt_tokens) && sane(r.tokens.completion_tokens) &&
         sane(r.tokens.total_tokens) && sane(r.tokens.image_tokens) &&
         sane(r.tokens.cached_tokens) &&
         (!r.retry_after || (r.retry_after->count() >= 0 && *r.retry_after <= max_retry_after));
}

/// Every JSON pointer in `j`, containers included.
inline void collect_pointers(const nlohmann::json& j,
                             const nlohmann::json::json_pointer& at,
                             std::vector<nlohmann::json::json_pointer>& out) {
  out.push_back(at);
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      collect_pointers(v, at / k, out);
    }
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) {
      collect_pointers(j[i], at / i, out);
    }
  }
}

/// Runs `flavour`'s parser over every truncation and every type swap of `body`.
inline void check_mutations(api_flavour flavour, const nlohmann::json& body) {
  const auto now = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1};
  const auto check_one = [&](unsigned status, const std::string& text) {
    http_result h;
    h.status = status;
    h.body = text;
    h.headers = {{"x-amzn-errortype", "ThrottlingException:http://x/"}};
    reply r;
    REQUIRE_NOTHROW(r = parse_reply(flavour, h, now));
    if (!reply_invariants_hold(r)) {
      CAPTURE(status);
      CAPTURE(one_line_excerpt(text, 400));
      CHECK(reply_invariants_hold(r));
    }
  };
  const std::string text = body.dump();
  for (std::size_t n = 0; n <= text.size(); ++n) {
    check_one(200, text.substr(0, n));
  }
  const std::vector<nlohmann::json> replacements = {
      nullptr,
      true,
      -1,
      159.0,
      10.5,
      1e308,
      std::numeric_limits<std::uint64_t>::max(),
      "",
      "4821",
      std::string("\n\0\t", 3),
      std::string(2 * reply_text_limit, 'x'),
      nlohmann::json::array(),
      nlohmann::json::array({1, "x", nullptr}),
      nlohmann::json::object(),
      nlohmann::json{{"text", 7}, {"thought", "yes"}}};
  std::vector<nlohmann::json::json_pointer> pointers;
  collect_pointers(body, nlohmann::json::json_pointer{}, pointers);
  for (const auto& p : pointers) {
    for (const auto& rep : replacements) {
      nlohmann::json mutated = body;
      mutated[p] = rep;
      check_one(200, mutated.dump());
      check_one(403, mutated.dump());
    }
  }
}

}  // namespace visionwatch::test
