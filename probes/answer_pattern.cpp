#include "probes/answer_pattern.hpp"

#include <exception>
#include <regex>

#include "probes/text_util.hpp"
#include "probes/verdict.hpp"

namespace visionwatch {

struct answer_pattern::compiled {
  std::regex re;
};

namespace {

/// Bytes of the answer a pattern sees (see search()).
constexpr std::size_t regex_input_bytes = 512;

}  // namespace

answer_pattern::answer_pattern(std::string source, std::unique_ptr<compiled> re)
    : source_(std::move(source)), re_(std::move(re)) {}

answer_pattern::~answer_pattern() = default;

std::shared_ptr<const answer_pattern> answer_pattern::compile(const std::string& source,
                                                              std::string& error) {
  // The accepted subset first: shapes that backtrack exponentially never reach std::regex.
  if (auto refused = validate_answer_pattern(source)) {
    error = std::move(*refused);
    return nullptr;
  }
  try {
    auto flags = std::regex::ECMAScript | std::regex::icase;
#if defined(__GLIBCXX__)
    flags |= std::regex_constants::__polynomial;
#endif
    auto re = std::make_unique<compiled>(compiled{std::regex(source, flags)});
    return std::shared_ptr<const answer_pattern>(new answer_pattern(source, std::move(re)));
  } catch (const std::exception& e) {
    const std::string what = e.what();
    error = what.find("polynomial") != std::string::npos ? std::string(
                                                               "back-references are "
                                                               "not supported")
                                                         : one_line_excerpt(what, 200);
    return nullptr;
  }
}

std::optional<bool> answer_pattern::search(std::string_view text) const {
  try {
    const std::string input = sanitize_utf8(text, regex_input_bytes);
    return std::regex_search(input, re_->re);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace visionwatch
