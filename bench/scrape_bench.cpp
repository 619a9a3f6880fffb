// What one GET /metrics costs the daemon's thread for N routes shaped like scheduler_bench's
// healthy fleet (one probe recorded per route): the exposition rendered in the 256 KiB pieces the
// admin server streams, plain and through gzip_stream (what a scraper that asks for gzip gets),
// CPU time of this thread, median of 7. Sockets are not involved: scheduler_bench times whole
// scrapes as curl sees them.
//
//   scrape_bench [ROUTES]   (default 10000)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "daemon/admin/gzip_stream.hpp"
#include "exporters/metrics.hpp"

namespace {

double thread_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

constexpr std::size_t piece_bytes = std::size_t{256} * 1024;  // admin_api.cpp's pieces

}  // namespace

int main(int argc, char** argv) {
  const std::size_t routes = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10000;
  visionwatch::metrics m({}, "0.1.0", "0123456789ab");
  visionwatch::probe_result p;
  p.result = visionwatch::outcome::ok;
  p.http_status = 200;
  p.started_at = std::chrono::system_clock::now();
  p.phases = {0, 0.0002, 0, 0.0001, 0.0121, 0.0004, 0.0128, std::nullopt};
  p.tokens.prompt_tokens = 311;
  p.tokens.completion_tokens = 3;
  p.tokens.image_tokens = 255;
  const visionwatch::window_figures figures{0.0128, 0.0128, 0.0128, 0.0128, 0, 1};
  for (std::size_t i = 0; i < routes; ++i) {
    const auto h = m.add_route({"r" + std::to_string(i), "vision-healthy", "sim", "openai-chat"});
    p.latency_seconds = 0.0128 + static_cast<double>(i % 97) * 1e-4;
    m.record(h, p, figures);
    m.set_baseline(h, 56);
    for (const char* rule : {"route_down", "silent_failure", "success_ratio"}) {
      m.set_alert_firing("r" + std::to_string(i), rule, false);
    }
  }

  std::vector<double> plain_ms;
  std::vector<double> gzip_ms;
  std::size_t plain_bytes = 0;
  std::size_t gzip_bytes = 0;
  std::string piece;
  std::string out;
  for (int round = 0; round < 7; ++round) {
    for (const bool gzip : {false, true}) {
      visionwatch::metrics::render_cursor cursor;
      std::optional<visionwatch::gzip_stream> zip;
      std::size_t bytes = 0;
      const double start = thread_cpu_ms();
      if (gzip) {
        zip.emplace();
      }
      bool more = true;
      while (more) {
        piece.clear();
        out.clear();
        more = m.render_piece(cursor, piece, piece_bytes);
        if (zip) {
          zip->write(piece, !more, out);
        }
        bytes += zip ? out.size() : piece.size();
      }
      (gzip ? gzip_ms : plain_ms).push_back(thread_cpu_ms() - start);
      (gzip ? gzip_bytes : plain_bytes) = bytes;
    }
  }
  std::printf("routes %zu: render %.1f ms CPU, %zu bytes; render + gzip %.1f ms CPU, %zu bytes "
              "(%.1fx smaller); median of 7\n",
              routes,
              median(plain_ms),
              plain_bytes,
              median(gzip_ms),
              gzip_bytes,
              static_cast<double>(plain_bytes) / static_cast<double>(std::max<std::size_t>(gzip_bytes, 1)));
  return 0;
}
