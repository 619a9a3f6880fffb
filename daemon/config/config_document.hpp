#pragma once
/// One document being read: the config being filled, the settings every route inherits, and what
/// the sections declare and reference for each other (names, references, the listen address).
/// read_document() reads the sections in order, then runs the whole-document checks.

#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/config/config_map_reader.hpp"

namespace visionwatch::config_reading {

/// A reference to a named thing that is resolved after the whole file is read.
struct reference {
  std::string name;
  std::string shown;  ///< as written in the file (never a substituted value)
  std::string path;
  int line = 0;
};

/// Names that may be declared once, with the line of their declaration.
using name_lines = std::map<std::string, int, std::less<>>;

struct config_document {
  config_document(config_reader& r, config& c) : reader(r), cfg(c) {}

  config_reader& reader;
  config& cfg;
  route_settings defaults;  ///< built-in settings with `defaults:` applied
  int defaults_shapes_line = 0;  ///< line of `defaults.shapes`, for errors of routes inheriting it
  /// Gateway name -> api flavour, built on first use by check_route_shapes.
  std::map<std::string, api_flavour, std::less<>> gateway_apis;

  // global.listen and the admin token, for the check that a public listener has a token.
  bool listen_loopback = true;
  int listen_line = 0;
  std::string listen_shown;
  bool admin_token_given = false;

  name_lines gateway_lines;
  name_lines receiver_lines;
  /// Route name -> (path, line) of the route that declared it.
  std::map<std::string, std::pair<std::string, int>, std::less<>> route_names;
  bool too_many_routes = false;          ///< a route limit was hit: stop reading routes
  std::size_t route_bytes = 0;           ///< route_settings_bytes() of the routes read so far
  std::vector<reference> gateway_refs;   ///< routes and matrices naming a gateway
  std::vector<reference> receiver_refs;  ///< alert rules naming a receiver

  /// Declares `name` (read from `m`'s "name" key) in `lines`, or reports that `what` ("gateway",
  /// "receiver") of that name is already defined.
  void declare(name_lines& lines,
               const map_reader& m,
               std::string_view what,
               const std::string& name);
};

/// YAML nodes a document may hold once aliases are expanded (an alias counts each time it is
/// used): far above any real file (100,000 routes are well under a million nodes), low enough
/// that a "billion laughs" chain of anchors is refused before anything walks it.
inline constexpr std::size_t max_document_nodes = 2'000'000;

/// Nodes under `n` (itself, keys and values, aliases expanded), counting stops at `limit` + 1:
/// the walk is bounded whatever the expansion.
std::size_t count_nodes(const YAML::Node& n, std::size_t limit);

/// Reads every section of `root` into `cfg`; errors go to `reader`.
void read_document(config_reader& reader, const YAML::Node& root, config& cfg);

}  // namespace visionwatch::config_reading
