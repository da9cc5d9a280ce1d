// replace_file: a reader sees the old content or the new, never a part; a write that fails leaves
// the old file and no temporary beside it; what is not a regular file is written into. And
// log_tail: the last lines of an instance's log, within its limits.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>

#include "../support/temp_dir.hpp"
#include "lockstep/pipeline/run_dir.hpp"
#include "report/log_tail.hpp"
#include "report/replace_file.hpp"

namespace fs = std::filesystem;
using lockstep::test::read_file;
using lockstep::test::TempDir;

namespace {

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::size_t entries(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), {}));
}

}  // namespace

TEST_CASE("replace_file puts the new content in place only once it is whole") {
  TempDir temp;
  const auto page = temp.path() / "page.html";
  write_text(page, "old");
  ::chmod(page.c_str(), 0640);
  std::string why;
  bool old_seen_while_writing = false;
  REQUIRE(lockstep::report::replace_file(
      page,
      [&](std::ostream& out) {
        out << "new, ";
        old_seen_while_writing = read_file(page) == "old";
        out << "whole";
      },
      why));
  CHECK(old_seen_while_writing);
  CHECK(read_file(page) == "new, whole");
  CHECK(entries(temp.path()) == 1);  // no temporary left beside it
  struct stat status {};
  REQUIRE(::stat(page.c_str(), &status) == 0);
  CHECK((status.st_mode & 0777) == 0640);  // the replaced file's permissions
}

TEST_CASE("replace_file follows a symbolic link and replaces its target") {
  TempDir temp;
  write_text(temp.path() / "pages" / "run-1.html", "old");
  fs::create_symlink("pages/run-1.html", temp.path() / "latest.html");
  std::string why;
  REQUIRE(lockstep::report::replace_file(
      temp.path() / "latest.html", [](std::ostream& out) { out << "new"; }, why));
  CHECK(fs::is_symlink(temp.path() / "latest.html"));
  CHECK(read_file(temp.path() / "pages" / "run-1.html") == "new");
}

TEST_CASE("replace_file says why it cannot write, and leaves nothing behind") {
  TempDir temp;
  std::string why;
  CHECK_FALSE(lockstep::report::replace_file(
      temp.path() / "no-such-dir" / "page.html", [](std::ostream& out) { out << "x"; }, why));
  CHECK(why == "No such file or directory");
  CHECK(lockstep::report::why_not_replaceable(temp.path() / "no-such-dir" / "page.html") ==
        "No such file or directory");

  fs::create_directories(temp.path() / "a-dir");
  CHECK_FALSE(lockstep::report::replace_file(
      temp.path() / "a-dir", [](std::ostream& out) { out << "x"; }, why));
  CHECK(why == "Is a directory");
  CHECK(lockstep::report::why_not_replaceable(temp.path() / "a-dir") == "Is a directory");
  CHECK(lockstep::report::why_not_replaceable(temp.path() / "page.html").empty());
  CHECK(entries(temp.path()) == 1);  // the directory made above, and nothing else
}

TEST_CASE("replace_file writes into what is not a regular file") {
  std::string why;
  CHECK(lockstep::report::replace_file(
      "/dev/null", [](std::ostream& out) { out << "gone"; }, why));
  CHECK(fs::is_character_file("/dev/null"));
  CHECK(lockstep::report::why_not_replaceable("/dev/null").empty());
  if (fs::exists("/dev/full")) {
    CHECK_FALSE(lockstep::report::replace_file(
        "/dev/full", [](std::ostream& out) { out << std::string(1 << 16, 'x'); }, why));
    CHECK(why == "No space left on device");
    CHECK(fs::is_character_file("/dev/full"));
  }
}

TEST_CASE("log_tail gives the last lines of an instance's log, within its limits") {
  TempDir temp;
  const auto log = temp.path() / lockstep::RunDirLog::job_log_path("build/lint[2]");
  std::string text;
  for (int i = 1; i <= 50; ++i) text += "line " + std::to_string(i) + "\n";
  write_text(log, text);

  CHECK(lockstep::report::log_tail(temp.path(), "build/lint[2]", {.lines = 3}) ==
        "line 48\nline 49\nline 50\n");
  // 20 bytes from the end start within line 48: what is left of it is dropped.
  CHECK(lockstep::report::log_tail(temp.path(), "build/lint[2]", {.lines = 10, .bytes = 20}) ==
        "line 49\nline 50\n");
  CHECK(lockstep::report::log_tail(temp.path(), "build/lint[3]").empty());  // it logged nothing
  CHECK(lockstep::report::log_tail({}, "build/lint[2]").empty());           // no run dir

  write_text(log, "no newline at the end");
  CHECK(lockstep::report::log_tail(temp.path(), "build/lint[2]") == "no newline at the end\n");
}
