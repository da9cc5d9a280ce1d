// examples.heat_relax: one block of a 1-D steady-state heat solver, run as a stage that repeats
// until it has converged, with one job per block in each iteration:
//
//   - name: solve
//     repeat: { max: 1000, until: converged }
//     jobs:
//       - id: relax
//         type: examples.heat_relax
//         foreach: { range: { from: 0, to: 4 } }
//         params:
//           dir: work
//           block: ${item}            # unquoted: a quoted value is a string, not an integer
//           blocks: 4
//           iteration: ${iteration}
//
// A rod of `cells` interior cells lies between two ends held at `left` and `right`. Its steady
// state solves u[i-1] - 2 u[i] + u[i+1] = 0 with those ends: the straight line from left to
// right. A Jacobi sweep replaces every cell with the mean of its two neighbours' previous values;
// repeated, it converges to that line. Block b owns cells [b*cells/blocks, (b+1)*cells/blocks).
//
// The blocks share state through files under `dir`, double-buffered by iteration parity p:
//   state-<p>/block-<b>.txt  "iteration k", then block b's values after iteration k, one a line
//   delta-<p>/block-<b>.txt  "iteration k", then the largest |change| of a cell of b in iteration k
//   solution.txt             every interior cell's value, left to right, one a line (at the end)
// Iteration k reads only files of parity (k-1)%2 and writes only its own block's files of parity
// k%2, so no file is read and written in the same iteration, and the barrier between iterations
// orders every write of iteration k-1 before any read of iteration k. Each file names its
// iteration: a missing barrier, a block left out or two runs sharing `dir` is an error, never a
// wrong answer.
//
// Iteration k > 1 first reads every block's delta of iteration k-1. When all are below
// `tolerance`, the values of iteration k-1 are the answer: every block publishes converged=true
// (what `until: converged` waits for) and carries its files over to iteration k unchanged, and
// block 0 alone writes solution.txt from the iteration k-1 states, which no job writes in this
// iteration, so that one writer and read-only inputs make the assembly race-free.
#include <lockstep/plugin.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "job_types.hpp"
#include "text_files.hpp"

namespace lockstep::examples {
namespace {

namespace fs = std::filesystem;

std::string check_heat_params(const Params& params) {
  const auto blocks = params.get<std::int64_t>("blocks");
  const auto block = params.get<std::int64_t>("block");
  const auto cells = params.get<std::int64_t>("cells");
  if (block >= blocks) {
    return "block " + std::to_string(block) + " does not exist: blocks are 0 to " +
           std::to_string(blocks - 1) + " (blocks: " + std::to_string(blocks) + ")";
  }
  if (cells < blocks) {
    return "cells (" + std::to_string(cells) + ") must be at least blocks (" +
           std::to_string(blocks) + "): every block needs a cell";
  }
  for (const char* name : {"left", "right", "tolerance"}) {
    if (!std::isfinite(params.get<double>(name))) {
      return std::string("parameter '") + name + "' must be a finite number";
    }
  }
  if (params.get<double>("tolerance") <= 0) return "parameter 'tolerance' must be greater than 0";
  return {};
}

class HeatRelax final : public Job {
 public:
  static JobType type() {
    return {
        "heat_relax",
        "One block of a Jacobi heat-diffusion solver, one iteration; publishes 'delta', or "
        "'converged' once every block's change is below tolerance",
        {ParamSpec::string("dir").required().doc(
             "the work directory that the blocks share (created if missing); holds their state "
             "and, at the end, solution.txt"),
         ParamSpec::integer("block").required().min(0).doc(
             "this job's block, 0 to blocks-1: ${item} of a foreach range from 0 to blocks"),
         ParamSpec::integer("blocks").required().min(1).doc(
             "how many blocks the rod is split into, one job each"),
         ParamSpec::integer("cells")
             .min(1)
             .default_value(std::int64_t{8})
             .doc("interior cells of the whole rod, shared as evenly as possible by the blocks"),
         ParamSpec::number("left").default_value(1.0).doc("the temperature held at the left end"),
         ParamSpec::number("right").default_value(0.0).doc("the temperature held at the right end"),
         ParamSpec::number("tolerance")
             .default_value(1e-6)
             .doc("converged when no cell of any block changed by this much in an iteration"),
         ParamSpec::integer("iteration")
             .required()
             .min(1)
             .doc("the iteration, ${iteration}: 1 starts from 0 everywhere"),
         ParamSpec::integer("sweeps")
             .range(1, 1000000)
             .default_value(std::int64_t{1})
             .doc("Jacobi sweeps of the block per iteration, its neighbours' edge values held "
                  "fixed: more sweeps, fewer iterations; 1 is plain Jacobi")},
        check_heat_params,
        {{"delta", "the block's largest change in this iteration"},
         {"converged", "'true' once every block's change is below tolerance"},
         {"solution", "block 0, at the end: the path of solution.txt"}}};
  }

  explicit HeatRelax(const Params& params)
      : dir_(params.get<std::string>("dir")),
        block_(params.get<std::int64_t>("block")),
        blocks_(params.get<std::int64_t>("blocks")),
        cells_(params.get<std::int64_t>("cells")),
        left_(params.get<double>("left")),
        right_(params.get<double>("right")),
        tolerance_(params.get<double>("tolerance")),
        iteration_(params.get<std::int64_t>("iteration")),
        sweeps_(params.get<std::int64_t>("sweeps")) {}

  void run(JobContext& context) override {
    if (iteration_ > 1 && converged(context)) {
      finish(context);
    } else {
      relax(context);
    }
  }

 private:
  // ---- the grid --------------------------------------------------------------------------------
  std::int64_t first_cell(std::int64_t block) const { return block * cells_ / blocks_; }
  std::size_t size_of(std::int64_t block) const {
    return static_cast<std::size_t>(first_cell(block + 1) - first_cell(block));
  }

  // ---- the files -------------------------------------------------------------------------------
  fs::path file(const char* kind, std::int64_t iteration, std::int64_t block) const {
    return dir_ / (std::string(kind) + "-" + std::to_string(iteration % 2)) /
           ("block-" + std::to_string(block) + ".txt");
  }

  void write_values(const fs::path& path, std::int64_t iteration,
                    const std::vector<double>& values) const {
    std::string content = "iteration " + std::to_string(iteration) + "\n";
    for (double value : values) content += format_number(value) + "\n";
    write_file_atomically(path, content);
  }

  // The values of a file that iteration `iteration` wrote; there must be `count` of them.
  std::vector<double> read_values(const fs::path& path, std::int64_t iteration,
                                  std::size_t count) const {
    const std::string name = "'" + path.string() + "'";
    if (!fs::exists(path)) {
      throw std::runtime_error(name + " is missing: iteration " + std::to_string(iteration_) +
                               " reads what every block wrote in iteration " +
                               std::to_string(iteration) +
                               ", so every iteration must run all blocks (foreach range from 0 "
                               "to blocks), and iterations must start at 1");
    }
    LineReader in(path);
    std::string_view line;
    if (!in.next(line) || line != "iteration " + std::to_string(iteration)) {
      throw std::runtime_error(name + " should be from iteration " + std::to_string(iteration) +
                               " but starts with '" + std::string(line) +
                               "': was an iteration skipped, or does another run share dir '" +
                               dir_.string() + "'?");
    }
    std::vector<double> values;
    while (in.next(line)) {
      double value = 0;
      auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), value);
      if (error != std::errc{} || end != line.data() + line.size()) {
        throw std::runtime_error(name + ":" + std::to_string(in.line_number()) + ": '" +
                                 std::string(line) + "' is not a number");
      }
      values.push_back(value);
    }
    if (values.size() != count) {
      throw std::runtime_error(name + " holds " + std::to_string(values.size()) + " values where " +
                               std::to_string(count) +
                               " were expected: did cells or blocks change between iterations?");
    }
    return values;
  }

  std::vector<double> previous_state(std::int64_t block) const {
    return read_values(file("state", iteration_ - 1, block), iteration_ - 1, size_of(block));
  }
  double previous_delta(std::int64_t block) const {
    return read_values(file("delta", iteration_ - 1, block), iteration_ - 1, 1).front();
  }

  // ---- the steps -------------------------------------------------------------------------------
  // Whether every block changed by less than the tolerance in the previous iteration.
  // Reads them all, even after one that is not: a block that the stage left out is found now,
  // not only at the end.
  bool converged(const JobContext& context) const {
    bool below = true;
    for (std::int64_t block = 0; block < blocks_; ++block) {
      context.cancel_token().throw_if_cancelled();
      // Written as a negation so that a NaN counts as not converged.
      if (!(previous_delta(block) < tolerance_)) below = false;
    }
    return below;
  }

  // One iteration of Jacobi on this block: `sweeps_` sweeps with the neighbours' edge values of
  // the previous iteration (or the rod's ends) held fixed.
  void relax(JobContext& context) const {
    const bool first = block_ == 0;
    const bool last = block_ + 1 == blocks_;
    // Iteration 1 starts from 0 in every cell, the neighbours' included.
    std::vector<double> values(size_of(block_), 0.0);
    double before_first = first ? left_ : 0.0;
    double after_last = last ? right_ : 0.0;
    if (iteration_ == 1) {
      prepare_dir();
    } else {
      values = previous_state(block_);
      if (!first) before_first = previous_state(block_ - 1).back();
      if (!last) after_last = previous_state(block_ + 1).front();
    }

    const std::vector<double> start = values;
    std::vector<double> next(values.size());
    const std::size_t final_cell = values.size() - 1;
    for (std::int64_t sweep = 0; sweep < sweeps_; ++sweep) {
      context.cancel_token().throw_if_cancelled();
      for (std::size_t i = 0; i < values.size(); ++i) {
        const double before = i == 0 ? before_first : values[i - 1];
        const double after = i == final_cell ? after_last : values[i + 1];
        next[i] = 0.5 * (before + after);
      }
      values.swap(next);
    }

    // The change over the whole iteration (not only its last sweep): with several sweeps the
    // last one can be tiny while the block is still far from its neighbours' values.
    double delta = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      delta = std::max(delta, std::abs(values[i] - start[i]));
    }
    write_values(file("state", iteration_, block_), iteration_, values);
    write_values(file("delta", iteration_, block_), iteration_, {delta});
    context.output("delta", format_number(delta));
  }

  void finish(JobContext& context) const {
    // Carried over, so that an iteration after this one (in a stage that goes on) finds the
    // same converged state instead of files from two iterations ago.
    write_values(file("state", iteration_, block_), iteration_, previous_state(block_));
    write_values(file("delta", iteration_, block_), iteration_, {previous_delta(block_)});
    if (block_ == 0) write_solution(context);
    context.output("converged", "true");
  }

  void write_solution(JobContext& context) const {
    std::string content;
    for (std::int64_t block = 0; block < blocks_; ++block) {
      context.cancel_token().throw_if_cancelled();
      for (double value : previous_state(block)) content += format_number(value) + "\n";
    }
    const auto path = dir_ / "solution.txt";
    write_file_atomically(path, content);
    context.log().info("converged after ", iteration_ - 1, " iterations; ", cells_,
                       " cells written to ", path.string());
    context.output("solution", path.string());
  }

  void prepare_dir() const {
    std::error_code error;
    if (fs::exists(dir_, error) && !fs::is_directory(dir_, error)) {
      throw std::runtime_error("dir '" + dir_.string() + "' is not a directory");
    }
    fs::create_directories(dir_, error);
    if (error) throw_io_error("create directory", dir_, error.value());
    // A result of an earlier run in the same dir must never pass for this run's.
    if (block_ == 0) {
      fs::remove(dir_ / "solution.txt", error);
      if (error) throw_io_error("remove", dir_ / "solution.txt", error.value());
    }
  }

  fs::path dir_;
  std::int64_t block_;
  std::int64_t blocks_;
  std::int64_t cells_;
  double left_;
  double right_;
  double tolerance_;
  std::int64_t iteration_;
  std::int64_t sweeps_;
};

}  // namespace

void add_heat_relax(Registry& registry) { registry.add_job<HeatRelax>(); }

}  // namespace lockstep::examples
