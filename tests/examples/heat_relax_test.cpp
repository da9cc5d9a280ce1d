// examples.heat_relax, driven as a `repeat: { until: converged }` stage with `foreach` over its
// blocks drives it: one round of parallel jobs per iteration with a barrier between rounds.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "examples_harness.hpp"

namespace lockstep::examples_test {
namespace {

namespace fs = std::filesystem;

// A heat problem: the parameters every block's job gets, besides block and iteration.
struct Heat {
  fs::path dir{};
  int blocks = 4;
  int cells = 8;  // the parameter's default
  double left = 1.0;
  double right = 0.0;
  double tolerance = 1e-6;
  int sweeps = 1;

  std::vector<RawEntry> params(int block, int iteration) const {
    return {param("dir", dir.string()),
            param("block", std::to_string(block)),
            param("blocks", std::to_string(blocks)),
            param("cells", std::to_string(cells)),
            param("left", std::to_string(left)),
            param("right", std::to_string(right)),
            param("tolerance", std::to_string(tolerance)),
            param("iteration", std::to_string(iteration)),
            param("sweeps", std::to_string(sweeps))};
  }
};

double to_double(const std::string& text) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  INFO("'" << text << "'");
  REQUIRE(error == std::errc{});
  REQUIRE(end == text.data() + text.size());
  return value;
}

// One iteration of the stage: every block in parallel, then the barrier. Returns what the blocks
// published, "converged" and "delta" each by block (empty when none did).
struct Round {
  std::vector<std::string> converged;
  std::vector<std::string> deltas;
};
Round run_round(const Heat& heat, int iteration) {
  Rounds rounds(4);
  for (int block = 0; block < heat.blocks; ++block) {
    rounds.dispatch("examples.heat_relax", heat.params(block, iteration),
                    static_cast<std::uint64_t>(block));
  }
  auto [result, outputs] = rounds.finish_round();
  INFO("iteration " << iteration << "\n" << failures_of(result));
  REQUIRE(result.ok());
  return {outputs->values("stage.job.converged"), outputs->values("stage.job.delta")};
}

struct Solve {
  int iterations = 0;  // of the stage; the last one published converged
  bool converged = false;
  bool some_blocks_below = false;  // an iteration where some blocks were below tolerance, not all
};

// The stage `repeat: { max, until: converged }` with `foreach: range 0..blocks`: rounds until a
// job publishes converged. Checks at every iteration that converged is published, by every block,
// exactly when every block's delta of the iteration before was below tolerance.
Solve solve(const Heat& heat, int max_iterations) {
  Solve run;
  std::vector<double> previous;  // the deltas of the iteration before, by block
  const auto below = [&](double delta) { return delta < heat.tolerance; };
  for (int iteration = 1; iteration <= max_iterations; ++iteration) {
    const auto round = run_round(heat, iteration);
    INFO("iteration " << iteration);
    if (!previous.empty() && std::all_of(previous.begin(), previous.end(), below)) {
      REQUIRE(round.converged ==
              std::vector<std::string>(static_cast<std::size_t>(heat.blocks), "true"));
      REQUIRE(round.deltas.empty());
      run.iterations = iteration;
      run.converged = true;
      return run;
    }
    REQUIRE(round.converged.empty());
    REQUIRE(round.deltas.size() == static_cast<std::size_t>(heat.blocks));
    if (std::any_of(previous.begin(), previous.end(), below)) run.some_blocks_below = true;
    previous.clear();
    for (const auto& delta : round.deltas) previous.push_back(to_double(delta));
  }
  return run;
}

std::vector<double> read_numbers(const fs::path& path) {
  std::vector<double> values;
  std::istringstream lines(read_file(path));
  for (std::string line; std::getline(lines, line);) values.push_back(to_double(line));
  return values;
}

// The solution is the straight line from left to right, cell i at (i+1)/(cells+1). Jacobi stops
// with an error of at most ||(I-J)^-1|| times its last change, (cells+1)^2/4 times it.
void check_solution(const Heat& heat) {
  const auto solution = read_numbers(heat.dir / "solution.txt");
  REQUIRE(solution.size() == static_cast<std::size_t>(heat.cells));
  const double bound = heat.tolerance * (heat.cells + 1) * (heat.cells + 1) / 4;
  REQUIRE(bound < std::abs(heat.left - heat.right) / 1000);  // so that the check means something
  for (int i = 0; i < heat.cells; ++i) {
    const double exact = heat.left + (heat.right - heat.left) * (i + 1) / (heat.cells + 1);
    INFO("cell " << i << " of " << heat.cells);
    CHECK(std::abs(solution[static_cast<std::size_t>(i)] - exact) <= bound);
  }
}

TEST_CASE("heat_relax with its defaults converges to the straight line in a few hundred rounds") {
  TempDir tmp;
  Heat heat{.dir = tmp.path() / "work"};
  const auto run = solve(heat, 1000);
  REQUIRE(run.converged);
  CHECK(run.iterations >= 100);
  CHECK(run.iterations <= 400);
  CHECK(run.some_blocks_below);  // so "every block" was really put to the test
  check_solution(heat);
}

TEST_CASE("heat_relax converges with 4 blocks of 8 cells and 16 sweeps in a few hundred rounds") {
  TempDir tmp;
  Heat heat{.dir = tmp.path(), .cells = 32, .sweeps = 16};
  const auto run = solve(heat, 1000);
  REQUIRE(run.converged);
  CHECK(run.iterations >= 100);
  CHECK(run.iterations <= 400);
  check_solution(heat);
}

TEST_CASE("heat_relax needs fewer rounds with more sweeps per round") {
  TempDir tmp;
  Heat plain{.dir = tmp.path() / "plain", .blocks = 2, .left = 20, .right = -5};
  Heat swept = plain;
  swept.dir = tmp.path() / "swept";
  swept.sweeps = 4;
  const auto plain_run = solve(plain, 1000);
  const auto swept_run = solve(swept, 1000);
  REQUIRE(plain_run.converged);
  REQUIRE(swept_run.converged);
  CHECK(swept_run.iterations * 2 < plain_run.iterations);
  check_solution(plain);
  check_solution(swept);
}

TEST_CASE("heat_relax shares cells that blocks do not divide as evenly as possible") {
  TempDir tmp;
  Heat heat{.dir = tmp.path(), .blocks = 3, .cells = 7, .left = -2, .right = 3};
  // One job at a time, in block order: any order within an iteration gives the same result.
  for (int block = 0; block < heat.blocks; ++block) {
    run_job("examples.heat_relax", heat.params(block, 1));
  }
  const std::vector<std::size_t> sizes{2, 2, 3};
  for (int block = 0; block < heat.blocks; ++block) {
    const auto state =
        read_file(tmp.path() / "state-1" / ("block-" + std::to_string(block) + ".txt"));
    CHECK(state.starts_with("iteration 1\n"));
    CHECK(static_cast<std::size_t>(std::count(state.begin(), state.end(), '\n')) ==
          1 + sizes[static_cast<std::size_t>(block)]);
  }
  const auto run = solve(heat, 1000);  // from iteration 1 again: it starts afresh
  REQUIRE(run.converged);
  check_solution(heat);
}

TEST_CASE("heat_relax starts from zero: the first sweep moves only the cells next to the ends") {
  TempDir tmp;
  Heat heat{.dir = tmp.path(), .blocks = 2, .cells = 4, .left = 8, .right = 4};
  for (int block = 0; block < heat.blocks; ++block) {
    CHECK(run_job("examples.heat_relax", heat.params(block, 1)).at("delta") ==
          (block == 0 ? "4" : "2"));
  }
  CHECK(read_file(tmp.path() / "state-1" / "block-0.txt") == "iteration 1\n4\n0\n");
  CHECK(read_file(tmp.path() / "state-1" / "block-1.txt") == "iteration 1\n0\n2\n");
  CHECK(read_file(tmp.path() / "delta-1" / "block-1.txt") == "iteration 1\n2\n");
  // Iteration 2 sees its neighbour's edge from iteration 1: (4 + 0) / 2 in cell 1 and
  // (0 + 2) / 2 in cell 2.
  run_job("examples.heat_relax", heat.params(0, 2));
  run_job("examples.heat_relax", heat.params(1, 2));
  CHECK(read_file(tmp.path() / "state-0" / "block-0.txt") == "iteration 2\n4\n2\n");
  CHECK(read_file(tmp.path() / "state-0" / "block-1.txt") == "iteration 2\n1\n2\n");
  CHECK_FALSE(fs::exists(tmp.path() / "solution.txt"));
}

TEST_CASE("heat_relax goes on while one block's change is not below tolerance") {
  TempDir tmp;
  Heat heat{.dir = tmp.path()};
  const auto run = solve(heat, 1000);
  REQUIRE(run.converged);
  const auto solution = read_file(tmp.path() / "solution.txt");

  SECTION("a converged state is carried over: the iteration after converges again") {
    const auto round = run_round(heat, run.iterations + 1);
    CHECK(round.converged == std::vector<std::string>(4, "true"));
    CHECK(read_file(tmp.path() / "solution.txt") == solution);
  }
  SECTION("one block at exactly the tolerance is not converged, and every block sweeps") {
    const auto parity = std::to_string(run.iterations % 2);
    write_file(tmp.path() / ("delta-" + parity) / "block-2.txt",
               "iteration " + std::to_string(run.iterations) + "\n1e-06\n");
    const auto round = run_round(heat, run.iterations + 1);
    CHECK(round.converged.empty());
    CHECK(round.deltas.size() == 4);
  }
}

TEST_CASE("heat_relax removes a solution left in its dir by an earlier run") {
  TempDir tmp;
  write_file(tmp.path() / "solution.txt", "42\n");
  Heat heat{.dir = tmp.path()};
  run_job("examples.heat_relax", heat.params(0, 1));
  CHECK_FALSE(fs::exists(tmp.path() / "solution.txt"));
}

TEST_CASE("heat_relax fails naming the file of an iteration that did not run") {
  TempDir tmp;
  Heat heat{.dir = tmp.path()};
  const auto missing = (tmp.path() / "delta-0" / "block-0.txt").string();
  CHECK(thrown_message([&] { run_job("examples.heat_relax", heat.params(1, 3)); }) ==
        "'" + missing +
            "' is missing: iteration 3 reads what every block wrote in iteration 2, so every "
            "iteration must run all blocks (foreach range from 0 to blocks), and iterations must "
            "start at 1");
}

TEST_CASE("heat_relax fails naming the file when it holds another iteration") {
  TempDir tmp;
  Heat heat{.dir = tmp.path()};
  for (int block = 0; block < heat.blocks; ++block) {
    run_job("examples.heat_relax", heat.params(block, 1));
  }
  // Iteration 4 wants iteration 3's files (parity 1), but finds iteration 1's.
  const auto stale = (tmp.path() / "delta-1" / "block-0.txt").string();
  CHECK(thrown_message([&] { run_job("examples.heat_relax", heat.params(0, 4)); }) ==
        "'" + stale +
            "' should be from iteration 3 but starts with 'iteration 1': was an iteration "
            "skipped, or does another run share dir '" +
            tmp.path().string() + "'?");
}

TEST_CASE("heat_relax fails when its dir is a file") {
  TempDir tmp;
  write_file(tmp.path() / "file", "x");
  Heat heat{.dir = tmp.path() / "file"};
  CHECK(thrown_message([&] { run_job("examples.heat_relax", heat.params(0, 1)); }) ==
        "dir '" + (tmp.path() / "file").string() + "' is not a directory");
}

TEST_CASE("heat_relax rejects inconsistent parameters before anything runs") {
  const Heat heat{.dir = "work"};
  auto with = [&](std::string name, std::string value) {
    auto given = heat.params(1, 1);
    for (auto& entry : given) {
      if (entry.key == name) entry.value = RawValue::scalar(value);
    }
    return validation_errors("examples.heat_relax", given);
  };
  CHECK(validation_errors("examples.heat_relax", heat.params(1, 1)).empty());
  CHECK_THAT(with("block", "4"),
             Catch::Contains("block 4 does not exist: blocks are 0 to 3 (blocks: 4)"));
  CHECK_THAT(with("cells", "3"),
             Catch::Contains("cells (3) must be at least blocks (4): every block needs a cell"));
  CHECK_THAT(with("tolerance", "0"),
             Catch::Contains("parameter 'tolerance' must be greater than 0"));
  CHECK_THAT(with("iteration", "0"), Catch::Contains("iteration"));
  CHECK_THAT(with("iteration", "0"), Catch::Contains("must be at least 1"));
  CHECK_THAT(with("sweeps", "0"), Catch::Contains("must be at least 1"));
  CHECK_THAT(validation_errors("examples.heat_relax", {param("block", "0"), param("blocks", "1"),
                                                       param("iteration", "1")}),
             Catch::Contains("'dir'"));
}

TEST_CASE("heat_relax ends as cancelled when cancelled, and writes nothing") {
  TempDir tmp;
  Heat heat{.dir = tmp.path(), .sweeps = 1000000};
  TestContext context("examples.heat_relax", heat.params(0, 1));
  context.cancel();
  CHECK_THROWS_AS(context.run(), Cancelled);
  CHECK_FALSE(fs::exists(tmp.path() / "state-1"));
}

}  // namespace
}  // namespace lockstep::examples_test
