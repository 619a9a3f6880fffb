#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "daemon/app/commands.hpp"
#include "probes/challenge.hpp"
#include "tests/support/test_paths.hpp"

using namespace visionwatch;
namespace fs = std::filesystem;

namespace {

struct run_result {
  int exit_code;
  std::string out;
  std::string err;
};

/// Runs `visionwatch <args>` (args are shell words, already quoted where needed).
run_result run_cli(const fs::path& dir, const std::string& args) {
  const fs::path out = dir / "stdout";
  const fs::path err = dir / "stderr";
  const std::string cmd = "'" + test::visionwatch_binary().string() + "' " + args + " > '" +
                          out.string() + "' 2> '" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  return run_result{
      WIFEXITED(status) ? WEXITSTATUS(status) : -1, test::read_file(out), test::read_file(err)};
}

std::string expected_text(const challenge& c) {
  return "seed: " + std::to_string(c.seed) + "\nquestion: " + c.question + "\nanswer: " + c.answer +
         "\n";
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("challenge writes the exact image and prints seed - question and answer") {
    const fs::path dir = test::make_temp_dir("visionwatch-cli");
    for (const auto& [kind, name] : {std::pair{challenge_kind::digits, "digits"},
                                     std::pair{challenge_kind::color, "color"},
                                     std::pair{challenge_kind::shape, "shape"},
                                     std::pair{challenge_kind::count, "count"}}) {
      CAPTURE(name);
      const fs::path png = dir / (std::string(name) + ".png");
      const run_result r = run_cli(dir,
                                   std::string("challenge --kind ") + name +
                                       " --seed 18446744073709551615 --out '" + png.string() + "'");
      CHECK(r.exit_code == exit_ok);
      const challenge c =
          make_challenge(challenge_options{kind, 512, 512}, 18446744073709551615ULL);
      CHECK(r.out == expected_text(c));
      CHECK(test::read_file(png) == c.image);
    }
    fs::remove_all(dir);
  }

  TEST_CASE("challenge honours --width and --height") {
    const fs::path dir = test::make_temp_dir("visionwatch-cli");
    const run_result r = run_cli(dir,
                                 "challenge --kind count --seed 42 --width 300 --height 257 -o '" +
                                     (dir / "c.png").string() + "'");
    CHECK(r.exit_code == exit_ok);
    const challenge c = make_challenge(challenge_options{challenge_kind::count, 300, 257}, 42);
    CHECK(r.out == expected_text(c));
    CHECK(test::read_file(dir / "c.png") == c.image);
    fs::remove_all(dir);
  }

  TEST_CASE("challenge --out - writes the PNG to stdout and the text to stderr") {
    const fs::path dir = test::make_temp_dir("visionwatch-cli");
    const run_result r = run_cli(dir, "challenge --kind shape --seed 7 --out -");
    CHECK(r.exit_code == exit_ok);
    const challenge c = make_challenge(challenge_options{challenge_kind::shape, 512, 512}, 7);
    CHECK(r.out == c.image);
    CHECK(r.err == expected_text(c));
    fs::remove_all(dir);
  }

  TEST_CASE("challenge without --seed picks one and prints it so the image can be reproduced") {
    const fs::path dir = test::make_temp_dir("visionwatch-cli");
    const run_result r = run_cli(dir, "challenge --out '" + (dir / "r.png").string() + "'");
    REQUIRE(r.exit_code == exit_ok);
    REQUIRE(r.out.rfind("seed: ", 0) == 0);
    const std::uint64_t seed = std::stoull(r.out.substr(6, r.out.find('\n') - 6));
    const challenge c = make_challenge(challenge_options{}, seed);
    CHECK(r.out == expected_text(c));
    CHECK(test::read_file(dir / "r.png") == c.image);
    fs::remove_all(dir);
  }

  TEST_CASE("challenge rejects bad options with a usage error") {
    const fs::path dir = test::make_temp_dir("visionwatch-cli");
    const std::string out = " --out '" + (dir / "x.png").string() + "'";
    for (const std::string& args : {
             std::string("challenge --kind colour --seed 1") + out,
             std::string("challenge --kind digits --seed -1") + out,
             std::string("challenge --kind digits --seed abc") + out,
             std::string("challenge --kind digits --seed 18446744073709551616") + out,
             std::string("challenge --seed 1 --width 63") + out,
             std::string("challenge --seed 1 --height 4097") + out,
             std::string("challenge --seed 1 --width wide") + out,
             std::string("challenge --seed 1"),
             std::string("challenge --seed 1 --frobnicate") + out,
             std::string("challenge --kind count --seed 1 --width 300 --height 64") + out,
             std::string("challenge --seed 1 --images 0") + out,
             std::string("challenge --seed 1 --images 5") + out,
             std::string("challenge --seed 1 --images 2 --out -"),
         }) {
      CAPTURE(args);
      const run_result r = run_cli(dir, args);
      CHECK(r.exit_code == exit_usage);
      CHECK_FALSE(r.err.empty());
      CHECK_FALSE(fs::exists(dir / "x.png"));
    }
    const run_result bad_kind = run_cli(dir, "challenge --kind colour" + out);
    CHECK(bad_kind.err.find("colour") != std::string::npos);
    const run_result too_small = run_cli(dir, "challenge --kind shape --width 200" + out);
    CHECK(too_small.err ==
          "visionwatch challenge: shape challenges need at least 256x256 pixels (asked for "
          "200x512)\n");
    fs::remove_all(dir);
  }

  TEST_CASE("challenge reports an unwritable output path as a runtime error") {
    const fs::path dir = test::make_temp_dir("visionwatch-cli");
    const run_result r =
        run_cli(dir, "challenge --seed 1 --out '" + (dir / "missing" / "x.png").string() + "'");
    CHECK(r.exit_code == exit_runtime);
    CHECK(r.err.find("cannot create") != std::string::npos);
    CHECK(r.out.empty());
    fs::remove_all(dir);
  }

  TEST_CASE("challenge --images writes every image of a multi-image probe and the joint answer") {
    const fs::path dir = test::make_temp_dir("visionwatch-cli");
    const run_result r = run_cli(
        dir,
        "challenge --kind color --seed 77 --images 3 --out '" + (dir / "p.png").string() + "'");
    CHECK(r.exit_code == exit_ok);
    const challenge_set set =
        make_challenge_set(challenge_options{challenge_kind::color, 512, 512}, 77, 3);
    std::string expected =
        "seed: 77\nimages: 3\nquestion: " + set.question + "\nanswer: " + set.answer + "\n";
    for (int i = 1; i <= 3; ++i) {
      const fs::path png = dir / ("p-" + std::to_string(i) + ".png");
      expected += "image " + std::to_string(i) + ": " + png.string() + "\n";
      CHECK(test::read_file(png) == set.images[static_cast<std::size_t>(i - 1)].image);
    }
    CHECK(r.out == expected);
    CHECK_FALSE(fs::exists(dir / "p.png"));
    fs::remove_all(dir);
  }
}
