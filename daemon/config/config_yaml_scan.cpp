#include "daemon/config/config_yaml_scan.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

namespace visionwatch::config_reading {
namespace {

/// Thrown by the handler to stop the parser at the first limit passed (yaml-cpp's parser offers
/// no other way out of HandleNextDocument).
struct limit_passed {};

class size_counter final : public YAML::EventHandler {
 public:
  size_counter(std::size_t max_written, std::size_t max_expanded)
      : max_written_(max_written), max_expanded_(max_expanded) {}

  [[nodiscard]] const yaml_size& size() const noexcept { return size_; }
  [[nodiscard]] bool written_over() const noexcept { return size_.written > max_written_; }

  void OnDocumentStart(const YAML::Mark& /*mark*/) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& /*mark*/, YAML::anchor_t anchor) override { leaf(anchor); }
  void OnAlias(const YAML::Mark& /*mark*/, YAML::anchor_t anchor) override {
    ++size_.written;
    const auto it = anchor_sizes_.find(anchor);
    add_expanded(it == anchor_sizes_.end() ? 1 : it->second);
    check();
  }
  void OnScalar(const YAML::Mark& /*mark*/,
                const std::string& /*tag*/,
                YAML::anchor_t anchor,
                const std::string& /*value*/) override {
    leaf(anchor);
  }
  void OnSequenceStart(const YAML::Mark& /*mark*/,
                       const std::string& /*tag*/,
                       YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    open(anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& /*mark*/,
                  const std::string& /*tag*/,
                  YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    open(anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct open_collection {
    YAML::anchor_t anchor;
    std::size_t expanded_at_start;
  };

  void add_expanded(std::size_t n) noexcept {
    // Saturating: an alias chain doubles at each level and would wrap a size_t.
    const std::size_t cap = max_expanded_ + 1;
    size_.expanded = n >= cap || size_.expanded >= cap - n ? cap : size_.expanded + n;
  }
  void check() const {
    if (size_.written > max_written_ || size_.expanded > max_expanded_) {
      throw limit_passed{};
    }
  }
  void leaf(YAML::anchor_t anchor) {
    ++size_.written;
    add_expanded(1);
    if (anchor != YAML::NullAnchor) {
      anchor_sizes_[anchor] = 1;
    }
    check();
  }
  void open(YAML::anchor_t anchor) {
    ++size_.written;
    open_.push_back(open_collection{anchor, size_.expanded});
    add_expanded(1);
    check();
  }
  void close() {
    if (open_.empty()) {
      return;
    }
    const open_collection c = open_.back();
    open_.pop_back();
    if (c.anchor != YAML::NullAnchor) {
      anchor_sizes_[c.anchor] = size_.expanded - c.expanded_at_start;
    }
  }

  std::size_t max_written_;
  std::size_t max_expanded_;
  yaml_size size_;
  std::vector<open_collection> open_;  // depth, bounded by the written-node limit
  std::unordered_map<YAML::anchor_t, std::size_t> anchor_sizes_;
};

}  // namespace

std::optional<std::string> yaml_too_large(std::string_view text,
                                          std::size_t max_written,
                                          std::size_t max_expanded,
                                          yaml_size* measured) noexcept {
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    size_counter counter(max_written, max_expanded);
    bool over = false;
    try {
      while (parser.HandleNextDocument(counter)) {
      }
    } catch (const limit_passed&) {
      over = true;
    } catch (const std::exception&) {
      // A syntax error: YAML::Load reports it with its line.
    }
    if (measured != nullptr) {
      *measured = counter.size();
    }
    if (!over) {
      return std::nullopt;
    }
    if (counter.written_over()) {
      return "the document has more than " + std::to_string(max_written) +
             " YAML nodes (scalars, lists and maps)";
    }
    return "the document expands to more than " + std::to_string(max_expanded) +
           " YAML nodes (an alias counts each time it is used)";
  } catch (...) {
    return std::string("the document could not be measured (out of memory)");
  }
}

}  // namespace visionwatch::config_reading
