// rounds — an iterative lockstep algorithm: Jacobi relaxation of 1-D heat diffusion.
//
// A rod of kPoints cells between a hot end (1.0) and a cold end (0.0). Each round, every cell
// becomes the mean of its neighbours from the previous round; one job per chunk of cells, and
// Batch::wait() is the barrier between rounds. The loop stops when no cell changes any more; the
// steady state is the straight line from 1 to 0.
#include <lockstep/engine.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

constexpr int kPoints = 30, kChunk = 5, kChunks = kPoints / kChunk;

int main() {
  lockstep::Engine engine;
  lockstep::Bulkhead& cpu = engine.add_bulkhead({.name = "cpu", .workers = 2});

  std::vector<double> now(kPoints + 2, 0.0), next(kPoints + 2, 0.0), change(kChunks);
  now[0] = next[0] = 1.0;  // the hot end; the cold end stays 0
  lockstep::Batch round;
  int rounds = 0;
  for (double largest = 1.0; largest > 1e-10 && rounds < 100'000; ++rounds) {
    for (int c = 0; c < kChunks; ++c) {
      cpu.dispatch(round, [&, c] {  // cells c*kChunk+1 .. (c+1)*kChunk; reads `now`, writes `next`
        change[c] = 0.0;
        for (int i = c * kChunk + 1; i <= (c + 1) * kChunk; ++i) {
          next[i] = 0.5 * (now[i - 1] + now[i + 1]);
          change[c] = std::max(change[c], std::abs(next[i] - now[i]));
        }
      });
    }
    if (!round.wait().ok()) return 1;  // barrier: every chunk of this round is done
    now.swap(next);
    largest = *std::max_element(change.begin(), change.end());
  }

  double error = 0.0;
  for (int i = 0; i <= kPoints + 1; ++i)
    error = std::max(error, std::abs(now[i] - (1.0 - double(i) / (kPoints + 1))));
  std::printf("converged after %d rounds of %d jobs; max error %.2e\n", rounds, kChunks, error);
  const bool ok = error < 1e-6;
  std::puts(ok ? "rounds: ok" : "rounds: WRONG RESULT");
  return ok ? 0 : 1;
}
