#include "tests/support/gunzip.hpp"

#include <zlib.h>

#include <array>

namespace visionwatch::test {

std::optional<std::string> gunzip(std::string_view body) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) {  // +16: gzip only, not zlib or raw deflate
    return std::nullopt;
  }
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): zlib only reads next_in
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  z.avail_in = static_cast<uInt>(body.size());
  std::string out;
  std::array<char, std::size_t{64} * 1024> buffer{};
  int r = Z_OK;
  while (r == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer.data());
    z.avail_out = static_cast<uInt>(buffer.size());
    r = inflate(&z, Z_NO_FLUSH);
    out.append(buffer.data(), buffer.size() - z.avail_out);
  }
  const bool whole = r == Z_STREAM_END && z.avail_in == 0;
  inflateEnd(&z);
  return whole ? std::optional<std::string>(std::move(out)) : std::nullopt;
}

}  // namespace visionwatch::test
