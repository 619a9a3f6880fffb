#include "probes/served_model.hpp"

#include <algorithm>
#include <exception>
#include <regex>

#include "probes/text_util.hpp"

namespace visionwatch {

struct model_expectation::compiled {
  std::regex re;
};

namespace {

/// Served names are short; a longer one is cut before matching (the regex has no time limit).
constexpr std::size_t max_model_bytes = 256;

std::string lower_ascii(std::string_view s) {
  std::string out(s.substr(0, max_model_bytes));
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

bool digits(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// The name without provider path: the part after the last '/'.
std::string_view base_name(std::string_view name) noexcept {
  const auto slash = name.rfind('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

/// Removes one version suffix from the end of `name`, if there is one; true when it did.
bool drop_version_suffix(std::string_view& name) {
  const auto sep = name.find_last_of("-@:");
  if (sep == std::string_view::npos || sep == 0) {
    return false;
  }
  const std::string_view tail = name.substr(sep + 1);
  const char kind = name[sep];
  // `-latest`, `:latest`: an alias of the newest snapshot.
  if (tail == "latest") {
    name = name.substr(0, sep);
    return true;
  }
  // `@20241022` (Vertex), `-20241022` (Anthropic), `-001` (Gemini), `-0613` (OpenAI),
  // `:0` of Bedrock's `-v2:0`.
  if (digits(tail) && (tail.size() == 8 || tail.size() == 3 || tail.size() == 4 ||
                       (kind == ':' && tail.size() <= 2))) {
    name = name.substr(0, sep);
    // Bedrock `-v2:0`: drop the `-v2` that carried it.
    if (kind == ':') {
      const auto v = name.rfind("-v");
      if (v != std::string_view::npos && digits(name.substr(v + 2))) {
        name = name.substr(0, v);
      }
    }
    return true;
  }
  // `-2024-08-06`: three dash-separated groups (year, month, day).
  if (kind == '-' && digits(tail) && tail.size() == 2 && name.size() > 11) {
    const std::string_view date = name.substr(name.size() - 10);
    if (date[4] == '-' && date[7] == '-' && digits(date.substr(0, 4)) &&
        digits(date.substr(5, 2)) && name[name.size() - 11] == '-') {
      name = name.substr(0, name.size() - 11);
      return true;
    }
  }
  return false;
}

std::string canonical(std::string_view name) {
  const std::string low = lower_ascii(name);
  std::string_view s = base_name(low);
  while (drop_version_suffix(s)) {
  }
  return std::string(s);
}

}  // namespace

bool same_model(std::string_view served, std::string_view configured) {
  if (served.empty() || configured.empty()) {
    return true;
  }
  return canonical(served) == canonical(configured);
}

std::optional<model_expectation> model_expectation::parse(std::string_view spec,
                                                          std::string& error) {
  model_expectation e;
  if (spec == "off") {
    e.mode_ = mode::off;
    return e;
  }
  if (spec.starts_with("re:")) {
    e.mode_ = mode::pattern;
    e.text_ = std::string(spec.substr(3));
    if (e.text_.empty()) {
      error = "the regex after re: is empty";
      return std::nullopt;
    }
    try {
      auto flags = std::regex::ECMAScript | std::regex::icase;
#if defined(__GLIBCXX__)
      flags |= std::regex_constants::__polynomial;  // no back-references: no exponential runs
#endif
      e.regex_ = std::make_shared<const compiled>(compiled{std::regex(e.text_, flags)});
    } catch (const std::exception& ex) {
      const std::string what = ex.what();
      error = what.find("polynomial") != std::string::npos
                  ? std::string("back-references are not supported")
                  : "not a valid regular expression (ECMAScript): " + one_line_excerpt(what, 200);
      return std::nullopt;
    }
    return e;
  }
  if (spec.empty()) {
    error = "empty; use a model name prefix, re:<regex> or off";
    return std::nullopt;
  }
  e.mode_ = mode::prefix;
  e.text_ = lower_ascii(spec);
  return e;
}

bool model_expectation::accepts(std::string_view served, std::string_view route_model) const {
  if (served.empty()) {
    return true;
  }
  switch (mode_) {
    case mode::off:
      return true;
    case mode::route_model:
      return same_model(served, route_model);
    case mode::prefix: {
      const std::string low = lower_ascii(served);
      return low.starts_with(text_) || base_name(low).starts_with(text_);
    }
    case mode::pattern:
      try {
        return std::regex_search(std::string(served.substr(0, max_model_bytes)), regex_->re);
      } catch (const std::exception&) {
        return false;  // error_complexity or error_stack: no match
      }
  }
  return true;
}

std::string model_expectation::describe(std::string_view route_model) const {
  switch (mode_) {
    case mode::route_model:
      return "the route's model '" + one_line_excerpt(route_model, 120) + "'";
    case mode::prefix:
      return "expect_model '" + text_ + "'";
    case mode::pattern:
      return "expect_model re:" + one_line_excerpt(text_, 120);
    case mode::off:
      break;
  }
  return "any model";
}

}  // namespace visionwatch
