#include "daemon/runtime/probe_shapes.hpp"

#include <algorithm>
#include <array>

#include "probes/adapter.hpp"
#include "probes/enum_table.hpp"

namespace visionwatch {
namespace {

constexpr std::array<std::string_view, request_form_count> form_names = {
    "plain", "system", "tools", "history"};
static_assert(static_cast<std::size_t>(request_form::history) + 1 == form_names.size());

bool passed(const shape_outcome& s) noexcept { return s.last == outcome::ok; }
bool failed(const shape_outcome& s) noexcept { return s.last && *s.last != outcome::ok; }

}  // namespace

std::string_view to_string(request_form f) noexcept { return enum_name(form_names, f); }

request_form form_of(probe_shape s) {
  // What apply_shape puts in a request is the form: no second list of shapes to keep in step.
  probe_request r;
  apply_shape(s, r);
  if (r.earlier) {
    return request_form::history;
  }
  if (r.declare_tool) {
    return request_form::tools;
  }
  return r.system_prompt.empty() ? request_form::plain : request_form::system;
}

probe_shape shape_of(request_form f) noexcept {
  constexpr std::array<probe_shape, request_form_count> shapes = {
      probe_shape::plain, probe_shape::system, probe_shape::tools, probe_shape::history};
  const auto i = static_cast<std::size_t>(f);
  return i < shapes.size() ? shapes[i] : probe_shape::plain;
}

std::vector<request_form> forms_of(std::span<const probe_shape> shapes) {
  std::vector<request_form> out;
  for (const auto s : shapes) {
    const auto f = form_of(s);
    if (std::find(out.begin(), out.end(), f) == out.end()) {
      out.push_back(f);
    }
  }
  return out;
}

std::chrono::milliseconds control_interval(std::chrono::milliseconds baseline_interval,
                                           std::span<const probe_shape> shapes) {
  const auto forms = static_cast<long long>(forms_of(shapes).size());
  return std::max<std::chrono::milliseconds>(baseline_interval / std::max(forms, 1LL),
                                             std::chrono::milliseconds(1));
}

std::string shape_list(std::span<const probe_shape> shapes) {
  std::string out;
  for (const auto s : shapes) {
    out += (out.empty() ? "" : ", ") + std::string(to_string(s));
  }
  return out;
}

bool names_shapes(std::span<const probe_shape> shapes) noexcept {
  return !(shapes.size() == 1 && shapes.front() == probe_shape::plain);
}

std::string shape_reason(probe_shape shape,
                         std::string_view reason,
                         std::span<const shape_outcome> latest) {
  bool others = false;
  bool others_pass = true;
  for (const auto& s : latest) {
    if (s.shape != shape) {
      others = true;
      others_pass = others_pass && passed(s);
    }
  }
  std::string out = others && others_pass ? "fails only with " : "with ";
  out += to_string(shape);
  if (!reason.empty()) {
    out += ": ";
    out += reason;
  }
  return out;
}

std::string shapes_summary(std::span<const shape_outcome> latest) {
  std::vector<const shape_outcome*> failing;
  bool any_pass = false;
  bool any_unknown = false;
  for (const auto& s : latest) {
    if (failed(s)) {
      failing.push_back(&s);
    }
    any_pass = any_pass || passed(s);
    any_unknown = any_unknown || !s.last;
  }
  if (failing.empty() || (!any_pass && !any_unknown)) {
    return {};
  }
  std::string out = any_unknown ? "fails with " : "fails only with ";
  if (failing.size() == 1) {
    return out + std::string(to_string(failing.front()->shape)) + ": " +
           std::string(to_string(*failing.front()->last));
  }
  for (std::size_t i = 0; i < failing.size(); ++i) {
    out += (i == 0 ? "" : ", ") + std::string(to_string(failing[i]->shape)) + " (" +
           std::string(to_string(*failing[i]->last)) + ")";
  }
  return out;
}

}  // namespace visionwatch
