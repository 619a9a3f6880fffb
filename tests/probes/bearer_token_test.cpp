// bearer_token_file: the token a sidecar refreshes is re-read when the file changes.
#include "probes/bearer_token.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/test_paths.hpp"

using namespace visionwatch;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("a bearer token file is trimmed and re-read when its size or mtime changes") {
    const auto dir = test::make_temp_dir("vw-token");
    const auto path = dir / "token";
    write(path, "token-one\n");
    bearer_token_file f(path.string());
    REQUIRE_FALSE(f.load().has_value());
    CHECK(f.current() == "token-one");

    write(path, "token-number-two\n");  // another size
    CHECK(f.current() == "token-number-two");

    // The same size: the modification time tells.
    write(path, "token-number-six\n");
    fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(5));
    CHECK(f.current() == "token-number-six");
    fs::remove_all(dir);
  }

  TEST_CASE("an unusable refresh keeps the last good token and is retried on the next call") {
    const auto dir = test::make_temp_dir("vw-token");
    const auto path = dir / "token";
    write(path, "good-token\n");
    bearer_token_file f(path.string());
    REQUIRE_FALSE(f.load().has_value());

    write(path, "");  // a sidecar between truncate and write
    CHECK(f.current() == "good-token");
    write(path, "bad\ntoken\n");
    CHECK(f.current() == "good-token");
    fs::remove(path);
    CHECK(f.current() == "good-token");
    write(path, "fresh-token-1");
    CHECK(f.current() == "fresh-token-1");

    write(path, std::string(bearer_token_file::max_token_bytes + 1, 'a'));
    CHECK(f.current() == "fresh-token-1");
    fs::remove_all(dir);
  }

  TEST_CASE("load names the file and the problem - never the content") {
    const auto dir = test::make_temp_dir("vw-token");
    bearer_token_file missing((dir / "none").string());
    CHECK(missing.load() ==
          "bearer_token_file " + (dir / "none").string() + " is not a readable regular file");
    CHECK(missing.current().empty());
    write(dir / "t", "secret-part\r\nX-Injected: 1");
    bearer_token_file two((dir / "t").string());
    const auto error = two.load();
    REQUIRE(error.has_value());
    CHECK(error->find("secret-part") == std::string::npos);
    CHECK(two.current().empty());
    fs::remove_all(dir);
  }
}
