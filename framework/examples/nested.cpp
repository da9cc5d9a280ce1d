// nested — jobs that dispatch jobs: a divide-and-conquer sum where every job splits its range in
// two, dispatches both halves into its own bulkhead and waits for them.
//
// Two things make this safe where the origin deadlocks: a job that dispatches into its own full
// bulkhead runs the new job inline instead of waiting for room, and a job blocked in wait() helps
// run the jobs it waits for.
#include <lockstep/engine.hpp>

#include <cstdio>
#include <stdexcept>

static long sum(lockstep::Bulkhead& pool, long lo, long hi) {  // lo + ... + (hi - 1)
  if (hi - lo <= 1000) {
    long s = 0;
    for (long i = lo; i < hi; ++i) s += i;
    return s;
  }
  const long mid = lo + (hi - lo) / 2;
  long left = 0, right = 0;
  lockstep::Batch halves;
  pool.dispatch(halves, [&] { left = sum(pool, lo, mid); });
  pool.dispatch(halves, [&] { right = sum(pool, mid, hi); });
  if (!halves.wait().ok()) throw std::runtime_error("a half failed");
  return left + right;
}

int main() {
  lockstep::Engine engine;
  lockstep::Bulkhead& pool = engine.add_bulkhead({.name = "tree", .workers = 2, .queue = 2});

  constexpr long n = 1'000'000;
  long total = 0;
  lockstep::Batch root;
  pool.dispatch(root, [&] { total = sum(pool, 0, n); });  // 1,000 leaves, 10 levels deep
  lockstep::BatchResult result = root.wait();

  std::printf("sum of 0..%ld = %ld, by %llu jobs on %d workers\n", n - 1, total,
              static_cast<unsigned long long>(pool.stats().admitted), pool.workers());
  const bool ok = result.ok() && total == n * (n - 1) / 2;
  std::puts(ok ? "nested: ok" : "nested: WRONG RESULT");
  return ok ? 0 : 1;
}
