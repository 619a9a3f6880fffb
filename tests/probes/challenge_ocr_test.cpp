// The independent check that digits challenges are legible: Tesseract, an OCR engine that knows
// nothing about our font or renderer, must read at least 99% of them exactly, in every format a
// probe shape sends (PNG, JPEG, WebP, GIF, the transparent PNG flattened correctly, the large
// image as sent and after the smallest documented downscale). The same engine proves the
// broken conversions lose the answer (transparency flattened onto black, a heavy downscale). If
// a legibility check fails, fix the rendering or the encoder settings, never the threshold.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/sim/sim_image_faults.hpp"
#include "probes/challenge.hpp"
#include "probes/image_codec.hpp"
#include "tests/support/test_paths.hpp"

namespace challenge_ocr_test {

using namespace visionwatch;
namespace fs = std::filesystem;

namespace {

constexpr int challenges = 500;
constexpr int processes = 2;  // the CI machine has two cores

/// Runs one Tesseract process over the images listed in `list` (one path per line), writing
/// TSV: one row per page (image) and one per word, so an image read as nothing keeps its place.
int run_tesseract(const fs::path& list, const fs::path& out, const fs::path& err) {
  // One OpenMP thread per process: two processes already use both cores.
  const std::string cmd = "OMP_THREAD_LIMIT=1 tesseract '" + list.string() +
                          "' stdout --psm 7 -c tessedit_char_whitelist=0123456789 tsv > '" +
                          out.string() + "' 2> '" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// The words of each page in TSV output (columns: level, page_num, ..., text), pages 1-based.
void add_pages(const std::string& tsv, std::vector<std::string>& pages, std::size_t first) {
  std::istringstream in(tsv);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::istringstream row(line);
    for (std::string cell; std::getline(row, cell, '\t');) {
      cells.push_back(cell);
    }
    if (cells.size() >= 12 && cells[0] == "5") {
      const std::size_t page = first + std::stoul(cells[1]) - 1;
      REQUIRE(page < pages.size());
      pages[page] += cells[11];
    }
  }
}

/// What Tesseract (psm 7, digits whitelist) reads in each image, in order, with spaces removed.
std::vector<std::string> tesseract_read(const fs::path& dir, const std::vector<fs::path>& images) {
  std::vector<std::size_t> first;  // the first image of each process: contiguous blocks
  first.reserve(processes);
  for (int p = 0; p < processes; ++p) {
    first.push_back(images.size() * static_cast<std::size_t>(p) / processes);
    std::ofstream list(dir / ("list" + std::to_string(p) + ".txt"));
    const std::size_t end = images.size() * static_cast<std::size_t>(p + 1) / processes;
    for (std::size_t i = first.back(); i < end; ++i) {
      list << images[i].string() << "\n";
    }
  }
  std::vector<std::future<int>> runs;
  runs.reserve(processes);
  for (int p = 0; p < processes; ++p) {
    const std::string n = std::to_string(p);
    runs.push_back(std::async(std::launch::async,
                              run_tesseract,
                              dir / ("list" + n + ".txt"),
                              dir / ("out" + n + ".txt"),
                              dir / ("err" + n + ".txt")));
  }
  std::vector<std::string> pages(images.size());
  for (int p = 0; p < processes; ++p) {
    const std::string n = std::to_string(p);
    const int code = runs[static_cast<std::size_t>(p)].get();
    REQUIRE_MESSAGE(code == 0, "tesseract failed: " << test::read_file(dir / ("err" + n + ".txt")));
    add_pages(
        test::read_file(dir / ("out" + n + ".txt")), pages, first[static_cast<std::size_t>(p)]);
  }
  return pages;
}

std::string as_png(const rgba_image& image) {
  return encode_rgba(
      image.rgba.data(), image.width, image.height, static_cast<std::size_t>(image.width) * 4U);
}

/// What is handed to Tesseract for one challenge: its bytes as sent, or a transformation of
/// its pixels written as PNG.
using view = std::function<std::string(const challenge&)>;

std::string as_sent(const challenge& c) { return c.image; }

view transformed(std::function<rgba_image(const rgba_image&)> transform) {
  return [transform = std::move(transform)](const challenge& c) {
    const image_decode_result decoded = decode_image(c.image);
    REQUIRE_MESSAGE(decoded.image, decoded.error);
    return as_png(transform(*decoded.image));
  };
}

/// Whether a test expects the images to be read (its exceptions are the misreads) or lost
/// (its exceptions are the exact reads).
enum class expect : std::uint8_t { legible, lost };

/// Tesseract's reading of 500 consecutive digits challenges made with `options`, each seen
/// through `see`; returns how many it read exactly and shows the first exceptions.
int exact_reads(const challenge_options& options, const view& see, expect expected) {
  REQUIRE_MESSAGE(std::system("command -v tesseract > /dev/null") == 0,
                  "tesseract is not installed (scripts/install-deps installs tesseract-ocr)");
  const fs::path dir = test::make_temp_dir("visionwatch-ocr");
  std::vector<std::string> answers;
  std::vector<fs::path> files;
  files.reserve(challenges);
  for (int i = 0; i < challenges; ++i) {
    const challenge c = make_challenge(options, static_cast<std::uint64_t>(i));
    // Tesseract (Leptonica) recognises the format from the bytes, not the name.
    files.push_back(dir / ("digits-" + std::to_string(i) + ".img"));
    std::ofstream(files.back(), std::ios::binary) << see(c);
    answers.push_back(c.answer);
  }
  const std::vector<std::string> read = tesseract_read(dir, files);
  REQUIRE(read.size() == answers.size());
  int exact = 0;
  int shown = 0;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    const bool right = read[i] == answers[i];
    exact += right ? 1 : 0;
    if (right == (expected == expect::lost) && shown++ < 10) {
      MESSAGE("seed " << i << ": expected " << answers[i] << ", tesseract read '" << read[i]
                      << "'");
    }
  }
  MESSAGE("tesseract read " << exact << " of " << challenges << " exactly");
  fs::remove_all(dir);
  return exact;
}

challenge_options digits_in(image_format format) {
  challenge_options o;
  o.format = format;
  return o;
}

challenge_options transparent_digits() {
  challenge_options o;
  o.transparent = true;
  return o;
}

challenge_options large_digits() {
  challenge_options o;
  o.large = true;
  return o;
}

/// The long side the large image is downscaled to, the aspect ratio kept.
view downscaled_to(int long_side) {
  return transformed([long_side](const rgba_image& i) {
    return sim_faults::downscale_to_long_side(i, long_side);
  });
}

constexpr int legible = challenges * 99 / 100;  // at least 99% read exactly
constexpr int lost = challenges / 100;          // at most 1% read exactly

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("tesseract reads at least 99% of 500 consecutive digits challenges exactly") {
    CHECK(exact_reads(challenge_options{}, as_sent, expect::legible) >= legible);
  }

  TEST_CASE("tesseract reads at least 99% of 500 digits challenges sent as JPEG") {
    CHECK(exact_reads(digits_in(image_format::jpeg), as_sent, expect::legible) >= legible);
  }

  TEST_CASE("tesseract reads at least 99% of 500 digits challenges sent as WebP") {
    CHECK(exact_reads(digits_in(image_format::webp), as_sent, expect::legible) >= legible);
  }

  TEST_CASE("tesseract reads at least 99% of 500 digits challenges sent as GIF") {
    CHECK(exact_reads(digits_in(image_format::gif), as_sent, expect::legible) >= legible);
  }

  TEST_CASE("tesseract reads at least 99% of 500 transparent challenges flattened onto white") {
    const auto onto_white = transformed([](const rgba_image& i) {
      return sim_faults::flatten(i, rgb8{255, 255, 255});
    });
    CHECK(exact_reads(transparent_digits(), onto_white, expect::legible) >= legible);
  }

  TEST_CASE("tesseract reads at least 99% of 500 transparent challenges as sent") {
    // Leptonica, under Tesseract, removes alpha onto white: an alpha-aware reader.
    CHECK(exact_reads(transparent_digits(), as_sent, expect::legible) >= legible);
  }

  TEST_CASE("tesseract reads at most 1% of 500 transparent challenges flattened onto black") {
    const auto onto_black = transformed([](const rgba_image& i) {
      return sim_faults::flatten(i, rgb8{0, 0, 0});
    });
    CHECK(exact_reads(transparent_digits(), onto_black, expect::lost) <= lost);
  }

  TEST_CASE("tesseract reads at least 99% of 500 large challenges as sent") {
    CHECK(exact_reads(large_digits(), as_sent, expect::legible) >= legible);
  }

  TEST_CASE(
      "tesseract reads at least 99% of 500 large challenges at OpenAI's 512 px of detail low") {
    // The smallest documented downscale (docs/challenges.md, "Large images"); every other one
    // (768 px and up) leaves the digits larger.
    CHECK(exact_reads(large_digits(), downscaled_to(512), expect::legible) >= legible);
  }

  TEST_CASE("tesseract reads at most 1% of 500 large challenges downscaled to 256 px") {
    CHECK(exact_reads(large_digits(),
                      downscaled_to(sim_faults::heavy_downscale_side),
                      expect::lost) <= lost);
  }
}

}  // namespace challenge_ocr_test
