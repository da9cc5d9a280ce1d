// report.cpp — table and JSON output.
#include "report.hpp"

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace lockstep_bench {
namespace {

// Columns are padded by displayed characters, not bytes ("µs" is two bytes of UTF-8).
std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0U) != 0x80U) ++n;
  return n;
}

std::string pad(const std::string& s, std::size_t width, bool right = false) {
  const std::size_t w = display_width(s);
  if (w >= width) return s;
  const std::string fill(width - w, ' ');
  return right ? fill + s : s + fill;
}

std::string number(double v) {
  char buf[64];
  const double a = std::fabs(v);
  std::snprintf(buf, sizeof buf, a >= 1000 ? "%.0f" : a >= 10 ? "%.1f" : "%.3f", v);
  return buf;
}

double rounded(double v) {
  if (v == 0 || !std::isfinite(v)) return v;
  const double scale = std::pow(10.0, 5 - static_cast<int>(std::ceil(std::log10(std::fabs(v)))));
  return std::round(v * scale) / scale;  // 5 significant digits
}

std::string target_cell(const Row& row) {
  if (row.target.empty()) return "";
  if (!row.target_met) return "n/a (" + row.target + ")";
  return std::string(*row.target_met ? "met" : "MISSED") + " (" + row.target + ")";
}

}  // namespace

std::string format_table(const std::vector<Row>& rows, const std::vector<std::string>& header) {
  const std::vector<std::string> titles = {"case", "impl", "median",     "unit",   "min",
                                           "max",  "runs", "vs tbb_raw", "target", "note"};
  std::vector<std::vector<std::string>> cells;
  for (const auto& r : rows) {
    const bool has = r.summary.runs > 0;
    cells.push_back({r.case_name, r.impl, has ? number(r.summary.median) : "-", r.unit,
                     has ? number(r.summary.min) : "-", has ? number(r.summary.max) : "-",
                     std::to_string(r.summary.runs),
                     r.ratio_vs_tbb ? number(*r.ratio_vs_tbb) + "x" : "-", target_cell(r),
                     r.error.empty() ? r.note : "ERROR: " + r.error});
  }
  std::vector<std::size_t> width(titles.size());
  for (std::size_t c = 0; c < titles.size(); ++c) {
    width[c] = display_width(titles[c]);
    for (const auto& row : cells) width[c] = std::max(width[c], display_width(row[c]));
  }
  auto line = [&](const std::vector<std::string>& row) {
    std::string out;
    for (std::size_t c = 0; c < row.size(); ++c) {
      const bool numeric = c == 2 || c == 4 || c == 5 || c == 6 || c == 7;
      const bool last = c + 1 == row.size();
      out += last ? row[c] : pad(row[c], width[c], numeric);
      if (!last) out += "  ";
    }
    return out + "\n";
  };
  std::string out;
  for (const auto& h : header) out += h + "\n";
  if (!header.empty()) out += "\n";
  out += line(titles);
  std::string previous_case;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (!previous_case.empty() && rows[i].case_name != previous_case) out += "\n";
    previous_case = rows[i].case_name;
    out += line(cells[i]);
  }
  return out;
}

std::string format_json(const std::vector<Row>& rows) {
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (const auto& r : rows) {
    nlohmann::ordered_json o;
    o["case"] = r.case_name;
    o["impl"] = r.impl;
    const bool has = r.summary.runs > 0;
    o["median"] =
        has ? nlohmann::ordered_json(rounded(r.summary.median)) : nlohmann::ordered_json();
    o["unit"] = r.unit;
    o["runs"] = r.summary.runs;
    if (has) {
      o["min"] = rounded(r.summary.min);
      o["max"] = rounded(r.summary.max);
    }
    if (r.ratio_vs_tbb) o["ratio_vs_tbb"] = rounded(*r.ratio_vs_tbb);
    if (!r.target.empty()) {
      o["target"] = r.target;
      o["target_met"] =
          r.target_met ? nlohmann::ordered_json(*r.target_met) : nlohmann::ordered_json();
    }
    o["note"] = r.note;
    if (!r.error.empty()) o["error"] = r.error;
    array.push_back(std::move(o));
  }
  return array.dump(2) + "\n";
}

}  // namespace lockstep_bench
