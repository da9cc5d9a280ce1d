// Before oneTBB starts its workers (and ends the process if the system refuses one), the engine
// asks whether they can be started: yes where they can, and a count where they cannot, found in
// a child process whose address space is limited (not under the sanitizers, whose own reserve of
// address space no limit of that size leaves room for).
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lockstep/engine/engine.hpp>

#include "exec/thread_probe.hpp"

namespace lockstep::test {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

TEST_CASE("an engine whose threads can be started says so") {
  Engine engine;
  engine.add_bulkhead({.name = "a", .workers = 4});
  CHECK(engine.check_threads().empty());
  CHECK(engine.check_threads(8).empty());
  CHECK(detail::startable_threads(16, 1 << 20) == 16);
}

TEST_CASE("with 256 MiB of address space, 200 stacks of 8 MiB cannot all be started") {
  if (kSanitized) {
    WARN("not run: the sanitizers need more address space than the limit leaves");
    return;
  }
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    rlimit limit{};
    ::getrlimit(RLIMIT_AS, &limit);
    limit.rlim_cur = rlim_t{256} << 20;
    ::setrlimit(RLIMIT_AS, &limit);
    const int started = detail::startable_threads(200, std::size_t{8} << 20);
    ::_exit(started > 0 && started < 200 ? 0 : 1);  // some, not all, and no crash
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace lockstep::test
