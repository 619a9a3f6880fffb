#pragma once
/// The state file's "baselines" section: the usage each route learned for each request form from
/// its text-only control requests, written at a save and read back at start-up. Pure.

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "alerts/notification.hpp"
#include "daemon/runtime/probe_shapes.hpp"

namespace visionwatch {

/// A learned usage baseline of one request form of a route.
struct saved_baseline {
  request_form form = request_form::plain;
  long long prompt_tokens = 0;
  wall_time at{};
};
/// Route name -> its learned baselines.
using saved_baselines = std::map<std::string, std::vector<saved_baseline>>;

/// The section as JSON text: an object of route name -> the plain form's `prompt_tokens` and
/// `at` (Unix seconds), the other forms under "forms". Rendered one route at a time, never as a
/// tree of every route; it reads exactly as that tree's `dump()` would.
std::string baselines_json_text(const saved_baselines& baselines);

/// The baselines of a section as baselines_json_text wrote it; entries that are not so
/// (hand-edited, another version) are skipped, and anything but an object reads as none.
saved_baselines read_saved_baselines(const nlohmann::json& section);

}  // namespace visionwatch
