// Every bad pipeline in tests/fixtures/pipelines/bad gives exactly the diagnostics in its
// sibling NAME.expected, and every pipeline in tests/fixtures/pipelines/good gives none.
//
// An .expected file holds the lines `lockstep validate` prints, one per diagnostic, in order.
// `@FILE@` stands for the pipeline's path as it was given, `@DIR@` for its directory (for
// messages that name a file next to it); a line ending in "..." matches any line that starts
// with what comes before (for messages with paths of the machine, such as the directories
// searched for a plugin). After a deliberate change of messages, run the tests with
// LOCKSTEP_UPDATE_EXPECTED=1 to rewrite the .expected files, and review the diff.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"
#include "support.hpp"

namespace lockstep::test {
namespace {

namespace fs = std::filesystem;

const fs::path kFixtures = LOCKSTEP_PIPELINE_FIXTURES;

std::vector<fs::path> yaml_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::ranges::sort(files);
  return files;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool matches(const std::string& expected, const std::string& actual) {
  if (expected.ends_with("...")) {
    return actual.starts_with(std::string_view(expected).substr(0, expected.size() - 3));
  }
  return expected == actual;
}

std::string diagnostics_of(const fs::path& file) {
  Diagnostics diagnostics;
  PipelineOptions options{.set_vars = {}, .environment = test_environment()};
  load_pipeline(file, options, core_loader(), diagnostics);
  return diagnostics.to_string();
}

TEST_CASE("each bad pipeline fixture gives exactly its expected diagnostics") {
  const auto files = yaml_files(kFixtures / "bad");
  REQUIRE(files.size() >= 20);
  const bool update = std::getenv("LOCKSTEP_UPDATE_EXPECTED") != nullptr;
  for (const auto& file : files) {
    DYNAMIC_SECTION(file.filename().string()) {
      auto actual = diagnostics_of(file);
      auto expected_file = fs::path(file).replace_extension(".expected");
      if (update) {
        auto generic = actual;
        test::replace_all(generic, file.string(), "@FILE@");
        test::replace_all(generic, file.parent_path().string(), "@DIR@");
        std::ofstream(expected_file) << generic;
      }
      REQUIRE(fs::exists(expected_file));
      auto expected = test::read_file(expected_file);
      test::replace_all(expected, "@FILE@", file.string());
      test::replace_all(expected, "@DIR@", file.parent_path().string());
      INFO("expected:\n" << expected << "actual:\n" << actual);
      const auto expected_lines = lines_of(expected);
      const auto actual_lines = lines_of(actual);
      REQUIRE(!expected_lines.empty());
      REQUIRE(expected_lines.size() == actual_lines.size());
      for (std::size_t i = 0; i < expected_lines.size(); ++i) {
        CHECK(matches(expected_lines[i], actual_lines[i]));
      }
    }
  }
}

TEST_CASE("each good pipeline fixture loads without any diagnostic") {
  const auto files = yaml_files(kFixtures / "good");
  REQUIRE_FALSE(files.empty());
  for (const auto& file : files) {
    DYNAMIC_SECTION(file.filename().string()) {
      Diagnostics diagnostics;
      PipelineOptions options{.set_vars = {}, .environment = test_environment()};
      auto pipeline = load_pipeline(file, options, core_loader(), diagnostics);
      INFO(diagnostics.to_string());
      CHECK(pipeline.has_value());
      CHECK(diagnostics.all().empty());
    }
  }
}

}  // namespace
}  // namespace lockstep::test
