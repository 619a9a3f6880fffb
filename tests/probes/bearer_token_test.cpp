// bearer_token_file: the token a sidecar refreshes is re-read when the file changes.
#include "probes/bearer_token.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/scoped_temp_dir.hpp"

namespace bearer_token_test {

using namespace visionwatch;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

/// `p`'s name once `text` is written to it.
std::string written(const fs::path& p, const std::string& text) {
  write(p, text);
  return p.string();
}

/// A token file in a directory of its own (removed with the test) that first holds `first`, and
/// the bearer_token_file reading it, loaded without an error.
struct token_file {
  test::scoped_temp_dir dir{"vw-token"};
  fs::path path = dir.path / "token";
  bearer_token_file file;

  explicit token_file(const std::string& first) : file(written(path, first)) {
    REQUIRE_FALSE(file.load().has_value());
  }
};

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("a bearer token file is trimmed and re-read when its size or mtime changes") {
    token_file t("token-one\n");
    const auto& path = t.path;
    auto& f = t.file;
    CHECK(f.current() == "token-one");

    write(path, "token-number-two\n");  // another size
    CHECK(f.current() == "token-number-two");

    // The same size: the modification time tells.
    write(path, "token-number-six\n");
    fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(5));
    CHECK(f.current() == "token-number-six");
  }

  TEST_CASE("an unusable refresh keeps the last good token and is retried on the next call") {
    token_file t("good-token\n");
    const auto& path = t.path;
    auto& f = t.file;

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
  }

  TEST_CASE("load names the file and the problem - never the content") {
    const test::scoped_temp_dir tmp("vw-token");
    const auto& dir = tmp.path;
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
  }
}

}  // namespace bearer_token_test
