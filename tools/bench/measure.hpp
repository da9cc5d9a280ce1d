// measure.hpp — how every case measures: interleaved runs of its implementations, rows with
// medians, ratios to tbb_raw, targets, and ratio rows between two implementations.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cases.hpp"

namespace lockstep_bench {

struct Measured {
  Measured(std::string impl_, std::string note_, std::string unit_, std::function<double()> once_)
      : impl(std::move(impl_)),
        note(std::move(note_)),
        unit(std::move(unit_)),
        once(std::move(once_)) {}
  std::string impl;
  std::string note;
  std::string unit;
  std::function<double()> once;  // one run: the value in `unit`
  std::vector<double> values;
  std::string error;
};

// Whether a row measures lockstep (targets apply to those).
bool is_lockstep(const std::string& impl);

// Runs are interleaved (run 1 of every implementation, then run 2, ...) so that a drift of the
// machine during the benchmark spreads over all implementations instead of favouring one.
// --impl filters the implementations; "serial" always runs.
void run_interleaved(const std::string& case_name, std::vector<Measured>& impls, const Options& o);

// Rows with summaries, ratios to tbb_raw, and the case's target applied to lockstep's rows.
std::vector<Row> to_rows(const std::string& case_name, const std::vector<Measured>& impls,
                         const std::function<void(Row&)>& apply_target);

// The median of `impl`'s row in `unit`, if it was measured.
std::optional<double> median_of(const std::vector<Row>& rows, const std::string& impl,
                                const std::string& unit);

// Appends the row "<numerator>/<denominator>" (unit "ratio": the quotient of their medians) when
// both were measured; `target` (e.g. "<= 1.0") is checked with `met`.
void add_ratio_row(std::vector<Row>& rows, const std::string& case_name,
                   const std::string& numerator, const std::string& denominator,
                   const std::string& unit, const std::string& target = {},
                   const std::function<bool(double)>& met = {});

}  // namespace lockstep_bench
