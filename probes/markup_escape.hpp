#pragma once
/// Character references for markup: the status page's HTML (exporters/status_html.cpp) and
/// Slack's mrkdwn (alerts/receivers.cpp) escape the same characters the same way, each its own
/// set of them. Pure.

#include <string>
#include <string_view>

namespace visionwatch {

/// `s` with every character of `special` that is one of & < > " ' written as its character
/// reference (&amp; &lt; &gt; &quot; &#39;); every other byte as it is.
inline std::string escape_markup(std::string_view s, std::string_view special) {
  std::string out;
  out.reserve(s.size() + 16);
  for (const char c : s) {
    std::string_view reference;
    if (special.find(c) != std::string_view::npos) {
      switch (c) {
        case '&':
          reference = "&amp;";
          break;
        case '<':
          reference = "&lt;";
          break;
        case '>':
          reference = "&gt;";
          break;
        case '"':
          reference = "&quot;";
          break;
        case '\'':
          reference = "&#39;";
          break;
        default:
          break;
      }
    }
    if (reference.empty()) {
      out += c;
    } else {
      out += reference;
    }
  }
  return out;
}

}  // namespace visionwatch
