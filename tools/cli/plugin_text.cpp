// `lockstep plugins` as text: a block per plugin, a line per job type, an aligned row per
// parameter.
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "plugin_render.hpp"
#include "text_width.hpp"

namespace lockstep::cli {

namespace {

std::string format_number(double value) {
  if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<std::int64_t>(value));
  }
  std::array<char, 64> buffer{};
  auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return ec == std::errc{} ? std::string(buffer.data(), end) : std::to_string(value);
}

std::string requirement(const ParamSpec& spec) {
  if (spec.is_required()) return "required";
  if (!spec.default_value()) return "optional";
  auto text = to_string(*spec.default_value());
  const bool quote = spec.type() == ParamType::string &&
                     (text.empty() || text.find_first_of(" \t\n") != std::string::npos);
  return "default " + (quote ? '"' + text + '"' : text);
}

using Row = std::array<std::string, 5>;  // name, type, requirement, constraints, doc

// Rows as aligned columns, each line starting with `indent`; empty columns take no room.
void write_table(std::ostream& out, const std::vector<Row>& rows, const std::string& indent) {
  std::array<std::size_t, 5> widths{};
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  }
  for (const auto& row : rows) {
    std::string line = indent;
    std::size_t pending = 0;  // spaces owed before the next non-empty cell
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (widths[i] == 0) continue;
      if (!row[i].empty()) {
        line.append(pending, ' ');
        line += row[i];
        pending = 0;
      }
      pending += widths[i] - display_width(row[i]) + 2;
    }
    out << line << '\n';
  }
}

}  // namespace

std::string format_bound(const ParamSpec& spec, double bound) {
  if (spec.type() == ParamType::duration) {
    return format_duration(
        std::chrono::duration_cast<Duration>(std::chrono::duration<double>(bound)));
  }
  return format_number(bound);
}

std::string describe_constraints(const ParamSpec& spec) {
  std::string text;
  if (!spec.allowed().empty()) {
    text = "one of: ";
    for (std::size_t i = 0; i < spec.allowed().size(); ++i) {
      text += (i > 0 ? ", " : "") + spec.allowed()[i];
    }
  }
  std::string range;
  if (spec.min() && spec.max()) {
    range = format_bound(spec, *spec.min()) + ".." + format_bound(spec, *spec.max());
  } else if (spec.min()) {
    range = ">= " + format_bound(spec, *spec.min());
  } else if (spec.max()) {
    range = "<= " + format_bound(spec, *spec.max());
  }
  if (!range.empty()) text += (text.empty() ? "" : "; ") + range;
  if (spec.is_shell_code()) text += (text.empty() ? "" : "; ") + std::string("shell code");
  return text;
}

namespace {

// One job type or stage kind: its name, what it is, its doc, a table of its parameters, and
// the outputs it declares.
void write_entry(std::ostream& out, const std::string& name, std::string_view what,
                 const std::string& doc, const std::vector<ParamSpec>& params,
                 const std::vector<OutputSpec>& outputs = {}) {
  out << "  " << name << (what.empty() ? "" : " (" + std::string(what) + ")")
      << (doc.empty() ? "" : "  " + doc) << '\n';
  if (params.empty()) out << "      (no parameters)\n";
  std::vector<Row> rows;
  for (const auto& spec : params) {
    rows.push_back({spec.name(), std::string(to_string(spec.type())), requirement(spec),
                    describe_constraints(spec), spec.doc()});
  }
  write_table(out, rows, "      ");
  if (outputs.empty()) return;
  out << "    publishes\n";
  rows.clear();
  for (const auto& output : outputs) rows.push_back({output.name, "", "", "", output.doc});
  write_table(out, rows, "      ");
}

// Where a declaration comes from: "job type of plugin core 0.1.0", "built-in stage kind".
std::string origin(const Registry& registry, std::string_view what, const std::string& plugin) {
  if (plugin.empty()) return "built-in " + std::string(what);
  const auto* info = registry.find_plugin(plugin);
  return std::string(what) + " of plugin " + plugin + (info ? " " + info->version : "");
}

}  // namespace

void write_plugins_text(std::ostream& out, const Registry& registry) {
  if (registry.plugins().empty()) {
    out << "no plugins loaded\n";
    return;
  }
  bool first = true;
  for (const auto& plugin : registry.plugins()) {
    if (!first) out << '\n';
    first = false;
    out << plugin.name << ' ' << plugin.version << "  (built against lockstep "
        << plugin.lockstep_version << ")\n";
    out << "  "
        << (plugin.path.empty() ? std::string("(built into the program)") : plugin.path.string())
        << '\n';
    if (plugin.job_types.empty() && plugin.stage_kinds.empty()) out << "  (no job types)\n";
    for (const auto& name : plugin.job_types) {
      const auto found = registry.lookup_job_type(name);
      if (found.job_type) {
        out << '\n';
        const auto& declaration = found.job_type->declaration;
        write_entry(out, name, "", declaration.doc, declaration.params, declaration.outputs);
      }
    }
    for (const auto& name : plugin.stage_kinds) {
      const auto found = registry.lookup_stage_kind(name);
      if (found.kind) {
        out << '\n';
        const auto& declaration = found.kind->declaration;
        write_entry(out, name, "stage kind", declaration.doc, declaration.params,
                    declaration.outputs);
      }
    }
  }
  out << "\nbuilt-in stage kinds\n";
  for (const auto* kind : registry.stage_kinds()) {
    if (kind->plugin.empty()) {
      out << '\n';
      write_entry(out, kind->qualified_name, "", kind->declaration.doc, kind->declaration.params,
                  kind->declaration.outputs);
    }
  }
}

void write_declaration_text(std::ostream& out, const Registry& registry,
                            const DeclarationLookup& found) {
  if (const auto* type = found.job_type) {
    write_entry(out, type->qualified_name, origin(registry, "job type", type->plugin),
                type->declaration.doc, type->declaration.params, type->declaration.outputs);
  }
  if (const auto* kind = found.stage_kind) {
    if (found.job_type) out << '\n';
    write_entry(out, kind->qualified_name, origin(registry, "stage kind", kind->plugin),
                kind->declaration.doc, kind->declaration.params, kind->declaration.outputs);
  }
}

}  // namespace lockstep::cli
