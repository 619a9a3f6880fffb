#include "tests/support/test_paths.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace visionwatch::test {

std::filesystem::path source_dir() { return VISIONWATCH_SOURCE_DIR; }
std::filesystem::path fixtures_dir() { return VISIONWATCH_FIXTURES_DIR; }
std::filesystem::path visionwatch_binary() { return VISIONWATCH_BINARY; }
std::filesystem::path build_dir() { return VISIONWATCH_BUILD_DIR; }
std::filesystem::path cmake_command() { return VISIONWATCH_CMAKE_COMMAND; }

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path.string());
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::filesystem::path make_temp_dir(const std::string& prefix) {
  auto pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed for " + pattern);
  }
  return pattern;
}

}  // namespace visionwatch::test
