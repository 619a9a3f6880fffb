#pragma once
/// A temporary directory (make_temp_dir) removed with everything in it when it goes out of
/// scope: on every path out of a test, a failed REQUIRE included.

#include <filesystem>
#include <string>
#include <system_error>

#include "tests/support/test_paths.hpp"

namespace visionwatch::test {

struct scoped_temp_dir {
  std::filesystem::path path;
  explicit scoped_temp_dir(const std::string& prefix) : path(make_temp_dir(prefix)) {}
  scoped_temp_dir(const scoped_temp_dir&) = delete;
  scoped_temp_dir& operator=(const scoped_temp_dir&) = delete;
  scoped_temp_dir(scoped_temp_dir&&) = delete;
  scoped_temp_dir& operator=(scoped_temp_dir&&) = delete;
  ~scoped_temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace visionwatch::test
