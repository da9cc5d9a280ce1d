// A worker's memory cgroup, made in a stand-in for a delegated cgroup v2 directory (an ordinary
// directory with the files the kernel would have): which files are written, what is read back,
// that it is removed, and when none is made. The kernel's side is tested end to end
// (cli.isolation_memory_cgroup) where this machine lets lockstep make a cgroup.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "../support/temp_dir.hpp"
#include "lockstep/pipeline/runner.hpp"
#include "run/memory_cgroup.hpp"

namespace lockstep::test {
namespace {

namespace fs = std::filesystem;
using run::MemoryCgroup;

void write(const fs::path& file, const std::string& text) { std::ofstream(file) << text; }

// A directory standing in for a delegated cgroup, named by LOCKSTEP_CGROUP while it lives.
struct FakeCgroupParent {
  TempDir scratch;
  const fs::path& dir = scratch.path();
  explicit FakeCgroupParent(const std::string& subtree_control) {
    write(dir / "cgroup.subtree_control", subtree_control);
    ::setenv("LOCKSTEP_CGROUP", dir.c_str(), 1);
  }
  ~FakeCgroupParent() { ::unsetenv("LOCKSTEP_CGROUP"); }
};

TEST_CASE("a worker's cgroup is made with its limit, takes its process, reports OOM kills") {
  const FakeCgroupParent parent("cpu memory io\n");
  CHECK(memory_limit_mechanism() == "cgroup v2 (" + parent.dir.string() + ")");
  fs::path made;
  {
    auto cgroup = MemoryCgroup::make("lockstep-1-worker-0", 256u << 20);
    REQUIRE(cgroup);
    made = cgroup->path();
    CHECK(made == parent.dir / "lockstep-1-worker-0");
    CHECK(cgroup->version() == MemoryCgroup::Version::v2);
    CHECK(read_file(made / "memory.max") == "268435456");
    CHECK_FALSE(fs::exists(made / "memory.swap.max"));  // written only where the kernel has it
    CHECK(cgroup->add(4242));
    CHECK(read_file(made / "cgroup.procs") == "4242");
    CHECK(cgroup->oom_kills() == 0);  // no memory.events yet
    write(made / "memory.events", "low 0\nhigh 0\nmax 7\noom 2\noom_kill 1\noom_group_kill 0\n");
    CHECK(cgroup->oom_kills() == 1);
    auto moved = std::move(*cgroup);  // the directory goes with the last owner only
    CHECK(fs::exists(made));
  }
  CHECK_FALSE(fs::exists(made));
}

TEST_CASE("making a cgroup removes those left by workers of a lockstep that is gone") {
  const FakeCgroupParent parent("memory\n");
  const auto gone = parent.dir / "lockstep-2147483646-worker-3";  // past any pid_max
  const auto alive = parent.dir / ("lockstep-" + std::to_string(::getpid()) + "-worker-9");
  const auto other = parent.dir / "lockstep-2147483646-data";  // not a worker's: not ours
  for (const auto& dir : {gone, alive, other}) fs::create_directory(dir);
  auto cgroup = MemoryCgroup::make("lockstep-1-worker-0", 1u << 20);
  REQUIRE(cgroup);
  CHECK_FALSE(fs::exists(gone));
  CHECK(fs::exists(alive));
  CHECK(fs::exists(other));
}

TEST_CASE("no cgroup where the memory controller is off for children, or when turned off") {
  {
    const FakeCgroupParent parent("cpu io\n");
    CHECK_FALSE(MemoryCgroup::make("lockstep-1-worker-0", 1u << 20));
    CHECK_FALSE(fs::exists(parent.dir / "lockstep-1-worker-0"));
    CHECK(memory_limit_mechanism() == "RLIMIT_AS (no writable memory cgroup)");
  }
  ::setenv("LOCKSTEP_CGROUP", "off", 1);
  CHECK_FALSE(MemoryCgroup::make("lockstep-1-worker-0", 1u << 20));
  CHECK(memory_limit_mechanism() == "RLIMIT_AS (no writable memory cgroup)");
  ::unsetenv("LOCKSTEP_CGROUP");
}

}  // namespace
}  // namespace lockstep::test
