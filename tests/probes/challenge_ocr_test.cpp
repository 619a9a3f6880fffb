// The independent check that digits challenges are legible: Tesseract, an OCR engine that knows
// nothing about our font or renderer, must read at least 99% of them exactly. If this fails, fix
// the rendering (size, spacing, margins, contrast), never the threshold.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "probes/challenge.hpp"
#include "tests/support/test_paths.hpp"

using namespace visionwatch;
namespace fs = std::filesystem;

namespace {

constexpr int challenges = 500;
constexpr int processes = 2;  // the CI machine has two cores

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return {};
  }
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

/// Runs one Tesseract process over the images listed in `list` (one path per line) and returns
/// its text output: one line per image, images separated by form feeds.
int run_tesseract(const fs::path& list, const fs::path& out, const fs::path& err) {
  // One OpenMP thread per process: two processes already use both cores.
  const std::string cmd = "OMP_THREAD_LIMIT=1 tesseract '" + list.string() +
                          "' stdout --psm 7 -c tessedit_char_whitelist=0123456789 > '" +
                          out.string() + "' 2> '" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("tesseract reads at least 99% of 500 consecutive digits challenges exactly") {
    REQUIRE_MESSAGE(std::system("command -v tesseract > /dev/null") == 0,
                    "tesseract is not installed (scripts/install-deps installs tesseract-ocr)");
    const fs::path dir = test::make_temp_dir("visionwatch-ocr");
    std::vector<std::string> answers;
    std::vector<std::ofstream> lists;
    for (int p = 0; p < processes; ++p) {
      lists.emplace_back(dir / ("list" + std::to_string(p) + ".txt"));
    }
    for (int i = 0; i < challenges; ++i) {
      const challenge c = make_challenge(challenge_options{}, static_cast<std::uint64_t>(i));
      const fs::path png = dir / ("digits-" + std::to_string(i) + ".png");
      std::ofstream(png, std::ios::binary) << c.image;
      // Image i goes to process i / (challenges / processes): each list is a contiguous block.
      lists[static_cast<std::size_t>(i * processes / challenges)] << png.string() << "\n";
      answers.push_back(c.answer);
    }
    for (auto& l : lists) {
      l.close();
    }

    std::vector<std::future<int>> runs;
    for (int p = 0; p < processes; ++p) {
      const std::string n = std::to_string(p);
      runs.push_back(std::async(std::launch::async,
                                run_tesseract,
                                dir / ("list" + n + ".txt"),
                                dir / ("out" + n + ".txt"),
                                dir / ("err" + n + ".txt")));
    }
    std::vector<std::string> read;
    for (int p = 0; p < processes; ++p) {
      const std::string n = std::to_string(p);
      const int code = runs[static_cast<std::size_t>(p)].get();
      REQUIRE_MESSAGE(code == 0,
                      "tesseract failed: " << test::read_file(dir / ("err" + n + ".txt")));
      const std::string out = test::read_file(dir / ("out" + n + ".txt"));
      std::size_t start = 0;
      while (true) {
        const std::size_t ff = out.find('\f', start);
        read.push_back(trim(out.substr(start, ff == std::string::npos ? ff : ff - start)));
        if (ff == std::string::npos) {
          break;
        }
        start = ff + 1;
      }
    }
    REQUIRE(read.size() == answers.size());

    int exact = 0;
    for (std::size_t i = 0; i < answers.size(); ++i) {
      if (read[i] == answers[i]) {
        ++exact;
      } else {
        MESSAGE("seed " << i << ": expected " << answers[i] << ", tesseract read '" << read[i]
                        << "'");
      }
    }
    MESSAGE("tesseract read " << exact << " of " << challenges << " exactly");
    CHECK(exact * 100 >= challenges * 99);
    fs::remove_all(dir);
  }
}
