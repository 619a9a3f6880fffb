#pragma once
/// Where tests find the shared fixtures, the source tree and the built binary.

#include <filesystem>
#include <string>

namespace visionwatch::test {

std::filesystem::path source_dir();
std::filesystem::path fixtures_dir();  ///< ../shared/fixtures beside the checkout
std::filesystem::path visionwatch_binary();
std::filesystem::path build_dir();      ///< the CMake build tree the tests belong to
std::filesystem::path cmake_command();  ///< the cmake that configured it
/// Whole file as bytes; throws std::runtime_error naming the path when unreadable.
std::string read_file(const std::filesystem::path& path);
/// A fresh empty directory under the system temp dir, removed by the caller (or left for CI logs).
std::filesystem::path make_temp_dir(const std::string& prefix);

}  // namespace visionwatch::test
