// Cost of one challenge (draw + PNG encode) per kind, and of reading it back (decode + pixel
// reader), at 512x512 unless sizes are given: `challenge_bench [iterations] [width height]`.
// Prints median and p99 in microseconds and the PNG sizes. Times are thread CPU time, so the
// figures stay meaningful on a shared, busy machine; wall-clock medians are printed beside them.
// A second table gives the same per probe shape that changes the image (jpeg, webp, gif, rgba,
// large): what each encoder costs per probe and how many bytes it sends.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_support.hpp"
#include "probes/challenge.hpp"
#include "probes/image_reader.hpp"
#include "probes/png_codec.hpp"

namespace {

using visionwatch::bench::summarise;
using visionwatch::bench::thread_cpu_us;
using clock_type = std::chrono::steady_clock;

/// The image shapes: png (the plain probe, for comparison), jpeg, webp, gif, rgba, large.
struct image_shape {
  const char* name;
  visionwatch::challenge_options options;
};

void print_shapes(int iterations, int width, int height) {
  using namespace visionwatch;
  std::vector<image_shape> shapes;
  for (const auto& [name, format] : {std::pair{"png", image_format::png},
                                     std::pair{"jpeg", image_format::jpeg},
                                     std::pair{"webp", image_format::webp},
                                     std::pair{"gif", image_format::gif}}) {
    challenge_options o;
    o.format = format;
    shapes.push_back({name, o});
  }
  challenge_options rgba;
  rgba.transparent = true;
  shapes.push_back({"rgba", rgba});
  challenge_options large;
  large.large = true;
  shapes.push_back({"large", large});
  std::printf("\nper probe shape (%dx%d; large %dx%d), %d challenges per kind and shape\n",
              width,
              height,
              challenge_large_width,
              challenge_large_height,
              iterations / 4);
  std::printf("%-6s %-8s %11s %11s %9s %9s\n",
              "shape",
              "kind",
              "make_med_us",
              "make_p99_us",
              "bytes_med",
              "bytes_max");
  for (image_shape& shape : shapes) {
    for (const challenge_kind kind : {challenge_kind::digits,
                                      challenge_kind::color,
                                      challenge_kind::shape,
                                      challenge_kind::count}) {
      shape.options.kind = kind;
      shape.options.width = width;
      shape.options.height = height;
      make_challenge(shape.options, 0);  // warm-up
      std::vector<double> make_us;
      std::vector<double> sizes;
      for (int i = 0; i < std::max(10, iterations / 4); ++i) {
        const double c0 = thread_cpu_us();
        const challenge c = make_challenge(shape.options, static_cast<std::uint64_t>(i));
        make_us.push_back(thread_cpu_us() - c0);
        sizes.push_back(static_cast<double>(c.image.size()));
      }
      const visionwatch::bench::sample_summary make = summarise(make_us);
      std::sort(sizes.begin(), sizes.end());
      std::printf("%-6s %-8s %11.1f %11.1f %9.0f %9.0f\n",
                  shape.name,
                  std::string(to_string(kind)).c_str(),
                  make.median,
                  make.p99,
                  sizes[sizes.size() / 2],
                  sizes.back());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace visionwatch;
  const int iterations = argc > 1 ? std::max(10, std::atoi(argv[1])) : 2000;
  const int width = argc > 3 ? std::atoi(argv[2]) : 512;
  const int height = argc > 3 ? std::atoi(argv[3]) : 512;
  constexpr std::array<challenge_kind, 4> kinds = {
      challenge_kind::digits, challenge_kind::color, challenge_kind::shape, challenge_kind::count};
  std::printf("challenge_bench: %d challenges per kind at %dx%d\n", iterations, width, height);
  std::printf("%-8s %11s %11s %12s %9s %9s %9s %13s %11s\n",
              "kind",
              "make_med_us",
              "make_p99_us",
              "make_wall_us",
              "png_min_B",
              "png_med_B",
              "png_max_B",
              "decode_med_us",
              "read_med_us");
  for (const challenge_kind kind : kinds) {
    const challenge_options options{kind, width, height};
    make_challenge(options, 0);  // warm-up: font loading, cairo's glyph caches
    std::vector<double> make_us;
    std::vector<double> wall_us;
    std::vector<double> sizes;
    std::vector<double> decode_us;
    std::vector<double> read_us;
    // Reading back is much slower than drawing; sample it on a tenth of the seeds.
    for (int i = 0; i < iterations; ++i) {
      const auto t0 = clock_type::now();
      const double c0 = thread_cpu_us();
      const challenge c = make_challenge(options, static_cast<std::uint64_t>(i));
      const double c1 = thread_cpu_us();
      const auto t1 = clock_type::now();
      make_us.push_back(c1 - c0);
      wall_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      sizes.push_back(static_cast<double>(c.image.size()));
      if (i % 10 == 0) {
        const double d0 = thread_cpu_us();
        const png_decode_result decoded = decode_png(c.image);
        const double d1 = thread_cpu_us();
        const auto answer = read_image(*decoded.image, kind);
        const double d2 = thread_cpu_us();
        decode_us.push_back(d1 - d0);
        read_us.push_back(d2 - d1);
        if (answer != c.answer) {
          std::fprintf(stderr,
                       "seed %d: expected %s, read %s\n",
                       i,
                       c.answer.c_str(),
                       answer.value_or("(none)").c_str());
        }
      }
    }
    const visionwatch::bench::sample_summary make = summarise(make_us);
    const visionwatch::bench::sample_summary wall = summarise(wall_us);
    std::sort(sizes.begin(), sizes.end());
    const visionwatch::bench::sample_summary decode = summarise(decode_us);
    const visionwatch::bench::sample_summary read = summarise(read_us);
    std::printf("%-8s %11.1f %11.1f %12.1f %9.0f %9.0f %9.0f %13.1f %11.1f\n",
                std::string(to_string(kind)).c_str(),
                make.median,
                make.p99,
                wall.median,
                sizes.front(),
                sizes[sizes.size() / 2],
                sizes.back(),
                decode.median,
                read.median);
  }
  print_shapes(iterations, width, height);
  return 0;
}
