#pragma once
/// A YAML document's size, measured from the parser's events before any tree is built.
/// yaml-cpp's node tree costs about 500 bytes a node, so a 4 MiB file of `[1,1,1,...]` (two
/// million nodes) would take a gigabyte to build before any later check could refuse it; and an
/// alias chain ("billion laughs") expands without bound when walked. The scan counts both in
/// bounded memory (a counter per anchor) and stops at the first limit it passes.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace visionwatch::config_reading {

/// Nodes a document may hold as written (scalars, nulls, sequences and maps; aliases count once):
/// 100,000 routes of a few keys each fit, and the tree stays under about 400 MB.
inline constexpr std::size_t max_written_nodes = 750'000;

struct yaml_size {
  std::size_t written = 0;   ///< nodes as written (saturates just above the limit)
  std::size_t expanded = 0;  ///< nodes with every alias expanded (saturates likewise)
};

/// Why `text` is too large to load (naming the limit it passed), or nullopt when it is within
/// `max_written` written and `max_expanded` expanded nodes. A syntax error is not reported here:
/// the scan then returns nullopt for what it read, and the loader reports the error with its
/// line. Never throws.
std::optional<std::string> yaml_too_large(std::string_view text,
                                          std::size_t max_written,
                                          std::size_t max_expanded,
                                          yaml_size* measured = nullptr) noexcept;

}  // namespace visionwatch::config_reading
