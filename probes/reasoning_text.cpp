#include "probes/reasoning_text.hpp"

#include "probes/text_util.hpp"

#include <array>
#include <cstddef>

namespace visionwatch {
namespace {

struct tag_pair {
  std::string_view open;
  std::string_view close;
};

constexpr std::array<tag_pair, 2> tags = {{
    {"<think>", "</think>"},
    {"<thinking>", "</thinking>"},
}};

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

/// Case-insensitive search for an ASCII `needle` (lower case) in `hay` from `from`.
std::size_t find_tag(std::string_view hay, std::string_view needle, std::size_t from) noexcept {
  if (needle.size() > hay.size()) {
    return std::string_view::npos;
  }
  for (std::size_t i = from; i + needle.size() <= hay.size(); ++i) {
    if (hay[i] != '<') {
      continue;
    }
    std::size_t k = 1;
    while (k < needle.size() && lower(hay[i + k]) == needle[k]) {
      ++k;
    }
    if (k == needle.size()) {
      return i;
    }
  }
  return std::string_view::npos;
}

/// The white space a reply's text is trimmed of (no vertical tab or form feed).
constexpr std::string_view reply_space = " \t\n\r";

void append(std::string& out, std::string_view part, std::string_view separator) {
  part = trim(part, reply_space);
  if (part.empty()) {
    return;
  }
  if (!out.empty()) {
    out += separator;
  }
  out += part;
}

/// The earliest opening tag at or after `from`: its position and pair, or npos.
std::pair<std::size_t, const tag_pair*> next_open(std::string_view text, std::size_t from) {
  std::pair<std::size_t, const tag_pair*> best{std::string_view::npos, nullptr};
  for (const auto& t : tags) {
    const std::size_t at = find_tag(text, t.open, from);
    if (at < best.first) {
      best = {at, &t};
    }
  }
  return best;
}

}  // namespace

bool has_thinking_tags(std::string_view text) noexcept {
  for (const auto& t : tags) {
    if (find_tag(text, t.open, 0) != std::string_view::npos ||
        find_tag(text, t.close, 0) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

split_text split_reasoning(std::string_view text) {
  split_text out;
  if (!has_thinking_tags(text)) {
    out.answer = std::string(trim(text, reply_space));
    return out;
  }
  std::size_t pos = 0;
  // A closing tag before any opening one: the template opened the block, the text starts in it.
  const auto first_open = next_open(text, 0).first;
  for (const auto& t : tags) {
    const std::size_t close = find_tag(text, t.close, 0);
    if (close != std::string_view::npos && close < first_open) {
      append(out.reasoning, text.substr(0, close), "\n\n");
      pos = close + t.close.size();
      break;
    }
  }
  while (pos < text.size()) {
    const auto [open, pair] = next_open(text, pos);
    if (pair == nullptr) {
      append(out.answer, text.substr(pos), "\n");
      break;
    }
    append(out.answer, text.substr(pos, open - pos), "\n");
    const std::size_t inside = open + pair->open.size();
    const std::size_t close = find_tag(text, pair->close, inside);
    if (close == std::string_view::npos) {
      append(out.reasoning, text.substr(inside), "\n\n");  // stopped while thinking
      break;
    }
    append(out.reasoning, text.substr(inside, close - inside), "\n\n");
    pos = close + pair->close.size();
  }
  return out;
}

}  // namespace visionwatch
