#include "probes/sse.hpp"

namespace visionwatch::sse {

bool reader::fail(std::string why) {
  error_ = std::move(why);
  line_.clear();
  line_.shrink_to_fit();
  pending_ = event{};
  has_data_ = false;
  return false;
}

bool reader::feed(std::string_view bytes, std::vector<event>& out) {
  if (!error_.empty()) {
    return false;
  }
  // A UTF-8 BOM may open the stream, possibly split across calls; it is dropped.
  static constexpr std::string_view bom = "\xEF\xBB\xBF";
  while (at_start_ && !bytes.empty()) {
    if (bytes.front() == bom[bom_matched_]) {
      bytes.remove_prefix(1);
      at_start_ = ++bom_matched_ < bom.size();
    } else {
      at_start_ = false;
      if (bom_matched_ > 0 && !feed_lines(bom.substr(0, bom_matched_), out)) {
        return false;  // a BOM prefix followed by something else was text after all
      }
    }
  }
  return feed_lines(bytes, out);
}

bool reader::feed_lines(std::string_view bytes, std::vector<event>& out) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (c != '\r' && c != '\n') {
      continue;
    }
    if (c == '\n' && after_cr_ && i == start && line_.empty()) {
      // The LF of a CRLF whose CR ended the previous call's or this call's last line.
      after_cr_ = false;
      start = i + 1;
      continue;
    }
    line_.append(bytes.substr(start, i - start));
    if (line_.size() + pending_.data.size() > max_event_bytes_) {
      return fail("SSE event larger than " + std::to_string(max_event_bytes_) + " bytes");
    }
    take_line(out);
    if (!error_.empty()) {
      return false;
    }
    after_cr_ = c == '\r';
    start = i + 1;
  }
  if (start < bytes.size()) {
    after_cr_ = false;
    line_.append(bytes.substr(start));
    if (line_.size() > max_event_bytes_) {
      return fail("SSE line longer than " + std::to_string(max_event_bytes_) +
                  " bytes without a newline");
    }
    if (line_.size() + pending_.data.size() > max_event_bytes_) {
      return fail("SSE event larger than " + std::to_string(max_event_bytes_) + " bytes");
    }
  }
  return true;
}

bool reader::finish(std::vector<event>& out) {
  if (!error_.empty()) {
    return false;
  }
  if (at_start_) {
    at_start_ = false;
    if (bom_matched_ > 0 &&
        !feed_lines(std::string_view("\xEF\xBB\xBF").substr(0, bom_matched_), out)) {
      return false;
    }
  }
  if (!line_.empty()) {
    take_line(out);
  }
  if (has_data_) {
    dispatch(out);
  }
  return error_.empty();
}

void reader::take_line(std::vector<event>& out) {
  const std::string_view line(line_);
  if (line.empty()) {
    dispatch(out);
  } else if (line.front() != ':') {  // a ':' line is a comment (keep-alive pings)
    const auto colon = line.find(':');
    const std::string_view name = line.substr(0, colon);
    std::string_view value =
        colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
    if (value.starts_with(' ')) {
      value.remove_prefix(1);
    }
    if (name == "data") {
      if (has_data_) {
        pending_.data += '\n';
      }
      pending_.data.append(value);
      has_data_ = true;
    } else if (name == "event") {
      pending_.type.assign(value);
    } else if (name == "id") {
      if (value.find('\0') == std::string_view::npos) {
        pending_.id.assign(value);
      }
    }
    // "retry" and unknown fields are ignored, as the spec says.
  }
  line_.clear();
}

void reader::dispatch(std::vector<event>& out) {
  if (has_data_) {
    out.push_back(std::move(pending_));
  }
  // An event without data is not dispatched, and its type does not carry over (spec 9.2.6).
  pending_ = event{};
  has_data_ = false;
}

}  // namespace visionwatch::sse
