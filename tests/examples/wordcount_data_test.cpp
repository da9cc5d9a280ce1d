// The data of the word-count example pipeline, configs/examples/wordcount/: its texts go through
// count_words (the map stage, in parallel) and merge_counts (the reduce stage, after the
// barrier), and the result must be expected.tsv byte for byte.
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "examples_harness.hpp"

namespace lockstep::examples_test {
namespace {

namespace fs = std::filesystem;

const fs::path kData = WORDCOUNT_DATA_DIR;

TEST_CASE("the word-count example's texts merge to exactly expected.tsv") {
  TempDir tmp;
  // The words of each text by the rule of count_words ("It's" is two words, "Tick-tock" too).
  const std::map<std::string, std::string> words_per_text{
      {"clock", "35"}, {"lighthouse", "37"}, {"orchard", "38"}, {"river", "25"}};

  Rounds rounds(4);
  std::uint64_t index = 0;
  for (const auto& [stem, words] : words_per_text) {
    rounds.dispatch("examples.count_words",
                    {param("input", (kData / "texts" / (stem + ".txt")).string()),
                     param("output_dir", (tmp.path() / "counts").string())},
                    index++);
  }
  auto [mapped, map_outputs] = rounds.finish_round();
  INFO(failures_of(mapped));
  REQUIRE(mapped.ok());
  std::vector<std::string> expected_words;
  for (const auto& [stem, words] : words_per_text) expected_words.push_back(words);
  CHECK(map_outputs->values("stage.job.words") == expected_words);

  rounds.dispatch("examples.merge_counts",
                  {param("input_dir", (tmp.path() / "counts").string()),
                   param("output", (tmp.path() / "result.tsv").string())},
                  0);
  auto [reduced, reduce_outputs] = rounds.finish_round();
  INFO(failures_of(reduced));
  REQUIRE(reduced.ok());
  CHECK(read_file(tmp.path() / "result.tsv") == read_file(kData / "expected.tsv"));
  CHECK(reduce_outputs->get("stage.job.words") == "135");
  CHECK(reduce_outputs->get("stage.job.distinct") == "65");
}

TEST_CASE("the word-count example has one text per expected count, and nothing else") {
  std::vector<std::string> texts;
  for (const auto& entry : fs::directory_iterator(kData / "texts")) {
    texts.push_back(entry.path().filename().string());
  }
  std::sort(texts.begin(), texts.end());
  CHECK(texts ==
        std::vector<std::string>{"clock.txt", "lighthouse.txt", "orchard.txt", "river.txt"});
}

}  // namespace
}  // namespace lockstep::examples_test
