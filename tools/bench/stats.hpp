// stats.hpp — summary of repeated measurements: median, min, max.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace lockstep_bench {

struct Summary {
  double median = 0;
  double min = 0;
  double max = 0;
  std::size_t runs = 0;
};

// The median of an even count is the mean of the two middle values.
inline Summary summarize(std::vector<double> values) {
  Summary s;
  s.runs = values.size();
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  s.median = values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
  s.min = values.front();
  s.max = values.back();
  return s;
}

}  // namespace lockstep_bench
