// How well the verdict tells a route that sees the image from one that guesses, per challenge
// kind: `detection_bench [--probes N] [--images N] [--size PIXELS]`. For each kind, N probes
// (default 1,000) are answered by
//   - an honest, independent reader: the tesseract CLI for digits (psm 7, digits whitelist, as in
//     tests/probes/challenge_ocr_test.cpp), the pixel reader (probes/image_reader) for the others;
//   - a blind guesser that never sees the image: each answer drawn uniformly from the kind's
//     answer space, object by object (digits: a length of 4 to 6, then uniform digits).
// Each reply goes through the verdict's matcher (answer_matches). Prints false alarms per 1,000
// honest probes, guesser passes per 1,000, and the guess probability the generator implies.
// Prints figures; asserts nothing.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "probes/challenge.hpp"
#include "probes/image_reader.hpp"
#include "probes/seeded_rng.hpp"
#include "probes/verdict.hpp"

namespace {

using namespace visionwatch;
namespace fs = std::filesystem;

constexpr int tesseract_processes = 2;  // the machine has two cores

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return {};
  }
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Tesseract's reading of every PNG, in order; nullopt when tesseract cannot run.
std::optional<std::vector<std::string>> tesseract_all(const std::vector<std::string>& pngs) {
  if (std::system("command -v tesseract > /dev/null") != 0) {
    return std::nullopt;
  }
  std::string pattern = (fs::temp_directory_path() / "vw-detection-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return std::nullopt;
  }
  const fs::path dir = pattern;
  std::vector<std::ofstream> lists;
  lists.reserve(tesseract_processes);
  for (int p = 0; p < tesseract_processes; ++p) {
    lists.emplace_back(dir / ("list" + std::to_string(p) + ".txt"));
  }
  for (std::size_t i = 0; i < pngs.size(); ++i) {
    const fs::path png = dir / (std::to_string(i) + ".png");
    std::ofstream(png, std::ios::binary) << pngs[i];
    lists[i * tesseract_processes / pngs.size()] << png.string() << "\n";
  }
  for (auto& l : lists) {
    l.close();
  }
  std::vector<std::future<int>> runs;
  for (int p = 0; p < tesseract_processes; ++p) {
    const std::string n = std::to_string(p);
    runs.push_back(std::async(std::launch::async, [dir, n] {
      const std::string cmd = "OMP_THREAD_LIMIT=1 tesseract '" +
                              (dir / ("list" + n + ".txt")).string() +
                              "' stdout --psm 7 -c tessedit_char_whitelist=0123456789 > '" +
                              (dir / ("out" + n + ".txt")).string() + "' 2> /dev/null";
      const int status = std::system(cmd.c_str());
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }));
  }
  std::vector<std::string> read;
  bool ok = true;
  for (int p = 0; p < tesseract_processes; ++p) {
    ok = runs[static_cast<std::size_t>(p)].get() == 0 && ok;
    const std::string out = read_file(dir / ("out" + std::to_string(p) + ".txt"));
    std::size_t start = 0;
    while (ok) {
      const std::size_t ff = out.find('\f', start);
      read.push_back(trim(out.substr(start, ff == std::string::npos ? ff : ff - start)));
      if (ff == std::string::npos) {
        break;
      }
      start = ff + 1;
    }
  }
  fs::remove_all(dir);
  if (!ok) {
    return std::nullopt;
  }
  // Tesseract ends its output with a form feed: drop the empty reading after the last image.
  while (read.size() > pngs.size() && read.back().empty()) {
    read.pop_back();
  }
  if (read.size() != pngs.size()) {
    return std::nullopt;
  }
  return read;
}

/// One blind answer for `images` images of `kind`, uniform over each object's values.
std::string guess(seeded_rng& rng, challenge_kind kind, int images) {
  std::string out;
  const auto add = [&out](std::string_view w) {
    out += out.empty() ? "" : " ";
    out += w;
  };
  for (int i = 0; i < images; ++i) {
    switch (kind) {
      case challenge_kind::digits: {
        std::string d(1, static_cast<char>('0' + rng.uniform_int(1, 9)));
        const int length = rng.uniform_int(4, 6);
        for (int k = 1; k < length; ++k) {
          d.push_back(static_cast<char>('0' + rng.uniform_int(0, 9)));
        }
        add(d);
        break;
      }
      case challenge_kind::color:
        for (int k = 0; k < challenge_color_objects; ++k) {
          add(challenge_colors[static_cast<std::size_t>(
              rng.uniform_int(0, static_cast<int>(challenge_colors.size()) - 1))]);
        }
        break;
      case challenge_kind::shape:
        for (int k = 0; k < challenge_shape_objects; ++k) {
          add(challenge_shapes[static_cast<std::size_t>(
              rng.uniform_int(0, static_cast<int>(challenge_shapes.size()) - 1))]);
        }
        break;
      case challenge_kind::count:
        for (int k = 0; k < challenge_count_boxes; ++k) {
          add(std::to_string(rng.uniform_int(1, challenge_max_dots)));
        }
        break;
    }
  }
  return out;
}

int print_usage() {
  std::fprintf(stderr, "usage: detection_bench [--probes N] [--images 1..4] [--size PIXELS]\n");
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  int probes = 1000;
  int images = 1;
  int size = 512;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) {
      return print_usage();
    }
    const int v = std::atoi(argv[++i]);
    if (a == "--probes" && v > 0) {
      probes = v;
    } else if (a == "--images" && v >= 1 && v <= challenge_max_images) {
      images = v;
    } else if (a == "--size" && v >= challenge_min_size && v <= challenge_max_size) {
      size = v;
    } else {
      return print_usage();
    }
  }
  std::printf("detection_bench: %d probes per kind, %d image(s) per probe, %dx%d pixels\n",
              probes,
              images,
              size,
              size);
  std::printf("%-7s %-16s %20s %20s %22s\n",
              "kind",
              "honest reader",
              "false_alarms/1000",
              "guesser_passes/1000",
              "guess_probability/1000");
  for (const challenge_kind kind : {challenge_kind::digits,
                                    challenge_kind::color,
                                    challenge_kind::shape,
                                    challenge_kind::count}) {
    if (size < min_side_for(kind)) {
      std::printf("%-7s skipped: %dx%d is under the kind's minimum %d\n",
                  std::string(to_string(kind)).c_str(),
                  size,
                  size,
                  min_side_for(kind));
      continue;
    }
    const challenge_options options{kind, size, size};
    std::vector<challenge_set> sets;
    std::vector<std::string> pngs;
    for (int p = 0; p < probes; ++p) {
      sets.push_back(make_challenge_set(
          options, derive_seed("detection_bench", 0x5eed, static_cast<std::uint64_t>(p)), images));
      for (const auto& c : sets.back().images) {
        pngs.push_back(c.image);
      }
    }
    // Honest replies: each image read independently, answers joined in image order.
    std::vector<std::string> readings;
    std::string reader = "pixel reader";
    if (kind == challenge_kind::digits) {
      if (auto t = tesseract_all(pngs)) {
        readings = std::move(*t);
        reader = "tesseract";
      } else {
        reader = "pixel (no tess.)";
      }
    }
    if (readings.empty()) {
      for (std::size_t i = 0; i < pngs.size(); ++i) {
        readings.push_back(
            read_challenge(pngs[i], sets[i / static_cast<std::size_t>(images)].question)
                .value_or(""));
      }
    }
    seeded_rng rng(0x6e55e5);
    int false_alarms = 0;
    int guesser_passes = 0;
    for (std::size_t p = 0; p < sets.size(); ++p) {
      answer_expectation expect;
      expect.kind = kind;
      expect.answer = sets[p].answer;
      std::string honest;
      for (int i = 0; i < images; ++i) {
        honest += i == 0 ? "" : " ";
        honest += readings[p * static_cast<std::size_t>(images) + static_cast<std::size_t>(i)];
      }
      false_alarms += answer_matches(expect, honest) ? 0 : 1;
      guesser_passes += answer_matches(expect, guess(rng, kind, images)) ? 1 : 0;
    }
    const double per_mille = 1000.0 / probes;
    std::printf("%-7s %-16s %20.2f %20.2f %22.6f\n",
                std::string(to_string(kind)).c_str(),
                reader.c_str(),
                false_alarms * per_mille,
                guesser_passes * per_mille,
                guess_probability(kind, images) * 1000);
  }
  return 0;
}
