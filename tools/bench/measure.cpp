#include "measure.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>

#include "watchdog.hpp"

namespace lockstep_bench {

bool is_lockstep(const std::string& impl) {
  return impl.starts_with("lockstep") || impl == "dispatcher" || impl == "engine_barrier";
}

void run_interleaved(const std::string& case_name, std::vector<Measured>& impls, const Options& o) {
  if (!o.only_impls.empty()) {
    std::erase_if(impls, [&](const Measured& m) {
      return m.impl != "serial" &&
             std::find(o.only_impls.begin(), o.only_impls.end(), m.impl) == o.only_impls.end();
    });
  }
  for (int run = 1; run <= o.runs; ++run) {
    for (auto& m : impls) {
      if (!m.error.empty()) continue;
      Watchdog::instance().arm(case_name + " / " + m.impl + " (run " + std::to_string(run) + ")",
                               o.timeout);
      try {
        m.values.push_back(m.once());
      } catch (const std::exception& e) {
        m.error = e.what();
      }
      Watchdog::instance().disarm();
      if (o.progress) {
        if (m.error.empty())
          std::fprintf(stderr, "  %s run %d/%d: %-24s %12.4f %s\n", case_name.c_str(), run, o.runs,
                       m.impl.c_str(), m.values.back(), m.unit.c_str());
        else
          std::fprintf(stderr, "  %s run %d/%d: %-24s ERROR %s\n", case_name.c_str(), run, o.runs,
                       m.impl.c_str(), m.error.c_str());
      }
    }
  }
}

std::vector<Row> to_rows(const std::string& case_name, const std::vector<Measured>& impls,
                         const std::function<void(Row&)>& apply_target) {
  std::vector<Row> rows;
  for (const auto& m : impls) {
    Row row;
    row.case_name = case_name;
    row.impl = m.impl;
    row.unit = m.unit;
    row.note = m.note;
    row.summary = summarize(m.values);
    row.error = m.error;
    rows.push_back(std::move(row));
  }
  const auto tbb = std::find_if(rows.begin(), rows.end(), [](const Row& r) {
    return r.impl == "tbb_raw" && r.summary.runs > 0;
  });
  for (auto& row : rows) {
    if (tbb != rows.end() && row.summary.runs > 0 && row.unit == tbb->unit &&
        tbb->summary.median > 0)
      row.ratio_vs_tbb = row.summary.median / tbb->summary.median;
    if (is_lockstep(row.impl)) apply_target(row);
  }
  return rows;
}

std::optional<double> median_of(const std::vector<Row>& rows, const std::string& impl,
                                const std::string& unit) {
  for (const auto& row : rows) {
    if (row.impl == impl && row.unit == unit && row.summary.runs > 0) return row.summary.median;
  }
  return std::nullopt;
}

void add_ratio_row(std::vector<Row>& rows, const std::string& case_name,
                   const std::string& numerator, const std::string& denominator,
                   const std::string& unit, const std::string& target,
                   const std::function<bool(double)>& met) {
  const auto top = median_of(rows, numerator, unit);
  const auto bottom = median_of(rows, denominator, unit);
  if (!top || !bottom || *bottom <= 0) return;
  Row row;
  row.case_name = case_name;
  row.impl = numerator + "/" + denominator;
  row.unit = "ratio";
  row.note = "medians of " + unit + " in the same run";
  row.summary = summarize({*top / *bottom});
  row.target = target;
  if (met) row.target_met = met(*top / *bottom);
  rows.push_back(std::move(row));
}

}  // namespace lockstep_bench
