// report.hpp — the rows as a human-readable table, or as a JSON array.
#pragma once

#include <string>
#include <vector>

#include "cases.hpp"

namespace lockstep_bench {

// `header`: lines printed above the table (the settings of this run).
std::string format_table(const std::vector<Row>& rows, const std::vector<std::string>& header);

// An array of {case, impl, median, unit, runs, min, max, ratio_vs_tbb?, target?, target_met?,
// note, error?}.
std::string format_json(const std::vector<Row>& rows);

}  // namespace lockstep_bench
