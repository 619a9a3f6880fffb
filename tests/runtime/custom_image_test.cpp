// load_custom_image: a user-supplied probe image read at start-up and on reload.
#include "daemon/runtime/probe_runner.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/test_paths.hpp"

using namespace visionwatch;

TEST_SUITE("unit") {
  TEST_CASE("a custom image is read by its magic bytes - PNG and JPEG") {
    const auto dir = visionwatch::test::make_temp_dir("vw-custom-image");
    const std::string png = "\x89PNG\r\n\x1a\n rest";
    std::ofstream(dir / "a.png", std::ios::binary) << png;
    std::ofstream(dir / "a.jpg", std::ios::binary) << std::string("\xff\xd8\xff\xe0", 4);
    std::ofstream(dir / "a.gif", std::ios::binary) << "GIF89a";
    std::string error;
    const auto p = load_custom_image((dir / "a.png").string(), error);
    REQUIRE(p.has_value());
    CHECK(p->mime == "image/png");
    CHECK(p->bytes == png);
    const auto j = load_custom_image((dir / "a.jpg").string(), error);
    REQUIRE(j.has_value());
    CHECK(j->mime == "image/jpeg");
    CHECK_FALSE(load_custom_image((dir / "a.gif").string(), error).has_value());
    CHECK(error == "image_file " + (dir / "a.gif").string() + " is neither PNG nor JPEG");
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("a custom image replaced by something endless or blocking is refused - not read") {
    // The configuration checked the file; it may be another by the time it is loaded.
    std::string error;
    CHECK_FALSE(load_custom_image("/dev/zero", error).has_value());  // used to read forever
    CHECK(error == "cannot read image_file /dev/zero: not a regular file");

    const auto dir = visionwatch::test::make_temp_dir("vw-custom-image");
    const auto fifo = (dir / "fifo.png").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_FALSE(load_custom_image(fifo, error).has_value());  // opening it would block
    CHECK(error == "cannot read image_file " + fifo + ": not a regular file");

    const auto big = (dir / "big.png").string();
    {
      std::ofstream out(big, std::ios::binary);
      out << "\x89PNG\r\n\x1a\n";
      out.seekp(std::streamoff{20} * 1024 * 1024 + 1);  // sparse: 20 MiB and 2 bytes
      out << 'x';
    }
    CHECK_FALSE(load_custom_image(big, error).has_value());
    CHECK(error == "image_file " + big + " is larger than 20 MiB");
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("a custom image holds the memory of its size - not of the 20 MiB limit") {
    // It used to be read into a buffer of the limit, which kept 20 MiB of zeroed (resident)
    // capacity for each image_file for the life of the configuration.
    const auto dir = visionwatch::test::make_temp_dir("vw-custom-image");
    for (const std::size_t size : {std::size_t{12}, std::size_t{64} * 1024, std::size_t{300'001}}) {
      CAPTURE(size);
      std::string png = "\x89PNG\r\n\x1a\n";
      png.resize(size, 'p');
      std::ofstream(dir / "a.png", std::ios::binary) << png;
      std::string error;
      const auto img = load_custom_image((dir / "a.png").string(), error);
      REQUIRE(img.has_value());
      CHECK(img->bytes == png);
      CHECK(img->bytes.capacity() <= std::max<std::size_t>(size, 15));
    }
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("custom images are read once per file and a failure is reported each time") {
    const auto dir = visionwatch::test::make_temp_dir("vw-custom-image");
    std::ofstream(dir / "a.png", std::ios::binary) << "\x89PNG\r\n\x1a\n rest";
    custom_image_files files;
    std::string error;
    const auto first = files.get((dir / "a.png").string(), error);
    REQUIRE(first != nullptr);
    std::filesystem::remove(dir / "a.png");  // a second read would now fail
    CHECK(files.get((dir / "a.png").string(), error) == first);
    const auto missing = (dir / "none.png").string();
    CHECK(files.get(missing, error) == nullptr);
    CHECK(error.starts_with("cannot read image_file " + missing));
    error.clear();
    CHECK(files.get(missing, error) == nullptr);
    CHECK_FALSE(error.empty());
    std::filesystem::remove_all(dir);
  }
}
