// core.write_file.
#include "core_harness.hpp"

namespace lockstep::test {

TEST_CASE("write_file writes its content and publishes the file's path") {
  TempDir dir;
  const auto file = dir.path() / "summary.txt";
  Harness harness;
  auto result =
      harness.run("core.write_file", {param("path", file.string()), param("content", "42 jobs\n")});
  INFO(failure_message(result));
  CHECK(result.ok());
  CHECK(read_file(file) == "42 jobs\n");
  CHECK(harness.outputs.get("stage.job.path") == file.string());
}

TEST_CASE("write_file replaces a file, or appends to it with append: true") {
  TempDir dir;
  const auto file = (dir.path() / "log.txt").string();
  Harness harness;
  CHECK(harness.run("core.write_file", {param("path", file), param("content", "old\n")}).ok());
  CHECK(harness.run("core.write_file", {param("path", file), param("content", "one\n")}).ok());
  CHECK(read_file(file) == "one\n");
  CHECK(harness
            .run("core.write_file",
                 {param("path", file), param("content", "two\n"), param("append", "true")})
            .ok());
  CHECK(read_file(file) == "one\ntwo\n");
}

TEST_CASE("write_file creates missing directories") {
  TempDir dir;
  const auto file = dir.path() / "a" / "b" / "marker";
  Harness harness;
  auto result = harness.run("core.write_file", {param("path", file.string())});
  INFO(failure_message(result));
  CHECK(result.ok());
  CHECK(std::filesystem::is_regular_file(file));
  CHECK(read_file(file).empty());
}

TEST_CASE("write_file fails with the system's reason when it cannot write") {
  TempDir dir;
  Harness harness;
  auto result = harness.run("core.write_file", {param("path", dir.path().string())});
  CHECK(result.count(JobState::failed) == 1);
  CHECK(failure_message(result) == "cannot open '" + dir.path().string() + "': Is a directory");
}

}  // namespace lockstep::test
