// examples.count_words and examples.merge_counts, the map and reduce steps of a word count, on
// small files whose counts are known.
#include <string>
#include <vector>

#include "examples_harness.hpp"

namespace lockstep::examples_test {
namespace {

namespace fs = std::filesystem;

std::map<std::string, std::string> count(const fs::path& input, const fs::path& output_dir) {
  return run_job("examples.count_words",
                 {param("input", input.string()), param("output_dir", output_dir.string())});
}

std::map<std::string, std::string> merge(const fs::path& input_dir, const fs::path& output,
                                         int top = 0) {
  return run_job("examples.merge_counts",
                 {param("input_dir", input_dir.string()), param("output", output.string()),
                  param("top", std::to_string(top))});
}

TEST_CASE("count_words counts lowercased runs of ASCII letters and digits, sorted by word") {
  TempDir tmp;
  // "café" is UTF-8: its last two bytes are not ASCII letters, so the word is "caf".
  write_file(tmp.path() / "in" / "story.txt",
             "The cat, the HAT;\nthe-cat's 2 cats!\n\n  Don't caf\xc3\xa9\n");
  const auto outputs = count(tmp.path() / "in" / "story.txt", tmp.path() / "out");
  CHECK(read_file(tmp.path() / "out" / "story.counts") ==
        "2\t1\ncaf\t1\ncat\t2\ncats\t1\ndon\t1\nhat\t1\ns\t1\nt\t1\nthe\t3\n");
  CHECK(outputs.at("words") == "12");
  CHECK(outputs.at("distinct") == "9");
  CHECK(outputs.at("counts") == (tmp.path() / "out" / "story.counts").string());
}

TEST_CASE("count_words reads a last line without a line break, and an empty file") {
  TempDir tmp;
  write_file(tmp.path() / "a.txt", "one two\ntwo");
  write_file(tmp.path() / "empty.txt", "");
  CHECK(count(tmp.path() / "a.txt", tmp.path()).at("words") == "3");
  CHECK(read_file(tmp.path() / "a.counts") == "one\t1\ntwo\t2\n");
  CHECK(count(tmp.path() / "empty.txt", tmp.path()).at("words") == "0");
  CHECK(read_file(tmp.path() / "empty.counts").empty());
}

TEST_CASE("count_words fails naming an input file it cannot read") {
  TempDir tmp;
  const auto missing = tmp.path() / "missing.txt";
  CHECK(thrown_message([&] { count(missing, tmp.path()); }) ==
        "cannot open '" + missing.string() + "': No such file or directory");
  CHECK(thrown_message([&] { count(tmp.path(), tmp.path() / "out"); }) ==
        "cannot read '" + tmp.path().string() + "': Is a directory");
  CHECK_FALSE(fs::exists(tmp.path() / "out"));
}

TEST_CASE("count_words fails naming an output_dir it cannot create") {
  TempDir tmp;
  write_file(tmp.path() / "a.txt", "word");
  write_file(tmp.path() / "file", "");
  CHECK_THAT(
      thrown_message([&] { count(tmp.path() / "a.txt", tmp.path() / "file"); }),
      Catch::StartsWith("cannot create directory '" + (tmp.path() / "file").string() + "': "));
}

TEST_CASE("merge_counts adds up every .counts file, most frequent first, ties by word") {
  TempDir tmp;
  write_file(tmp.path() / "texts" / "a.txt", "b a c b\n");
  write_file(tmp.path() / "texts" / "b.txt", "c d b, a\nd\n");
  count(tmp.path() / "texts" / "a.txt", tmp.path() / "counts");
  count(tmp.path() / "texts" / "b.txt", tmp.path() / "counts");
  write_file(tmp.path() / "counts" / "notes.txt", "not\t100\n");  // not a .counts file: ignored

  const auto outputs = merge(tmp.path() / "counts", tmp.path() / "result" / "words.tsv");
  CHECK(read_file(tmp.path() / "result" / "words.tsv") == "b\t3\na\t2\nc\t2\nd\t2\n");
  CHECK(outputs.at("words") == "9");
  CHECK(outputs.at("distinct") == "4");

  SECTION("top keeps the first lines; words and distinct still count every word") {
    const auto top = merge(tmp.path() / "counts", tmp.path() / "top.tsv", 2);
    CHECK(read_file(tmp.path() / "top.tsv") == "b\t3\na\t2\n");
    CHECK(top.at("words") == "9");
    CHECK(top.at("distinct") == "4");
  }
}

TEST_CASE("merge_counts fails naming a line that is not word<TAB>count") {
  TempDir tmp;
  write_file(tmp.path() / "a.counts", "ok\t1\n");
  write_file(tmp.path() / "b.counts", "fine\t2\nbroken 3\n");
  CHECK(thrown_message([&] { merge(tmp.path(), tmp.path() / "out.tsv"); }) ==
        "'" + (tmp.path() / "b.counts").string() +
            "':2: expected 'word<TAB>count' with a count >= 0, got 'broken 3'");
  write_file(tmp.path() / "b.counts", "minus\t-1\n");
  CHECK_THAT(thrown_message([&] { merge(tmp.path(), tmp.path() / "out.tsv"); }),
             Catch::EndsWith(":1: expected 'word<TAB>count' with a count >= 0, got 'minus\t-1'"));
  CHECK_FALSE(fs::exists(tmp.path() / "out.tsv"));
}

TEST_CASE("merge_counts fails naming an input_dir that is missing, not a directory, or empty") {
  TempDir tmp;
  const auto missing = tmp.path() / "missing";
  CHECK(thrown_message([&] { merge(missing, tmp.path() / "out.tsv"); }) ==
        "cannot read directory '" + missing.string() + "': No such file or directory");
  write_file(tmp.path() / "file", "");
  CHECK(thrown_message([&] { merge(tmp.path() / "file", tmp.path() / "out.tsv"); }) ==
        "cannot read directory '" + (tmp.path() / "file").string() + "': Not a directory");
  fs::create_directories(tmp.path() / "empty");
  CHECK_THAT(thrown_message([&] { merge(tmp.path() / "empty", tmp.path() / "out.tsv"); }),
             Catch::StartsWith("no .counts files in '" + (tmp.path() / "empty").string() + "'"));
}

TEST_CASE("merge_counts fails naming an output it cannot write") {
  TempDir tmp;
  write_file(tmp.path() / "in" / "a.counts", "word\t1\n");
  fs::create_directories(tmp.path() / "taken");
  CHECK(thrown_message([&] { merge(tmp.path() / "in", tmp.path() / "taken"); }) ==
        "cannot write '" + (tmp.path() / "taken").string() + "': Is a directory");
}

TEST_CASE("count_words and merge_counts end as cancelled when cancelled") {
  TempDir tmp;
  std::string text;
  for (int line = 0; line < 5000; ++line) text += "some words on a line\n";
  write_file(tmp.path() / "big.txt", text);
  write_file(tmp.path() / "in" / "big.counts", "word\t1\n");

  TestContext counting("examples.count_words", {param("input", (tmp.path() / "big.txt").string()),
                                                param("output_dir", tmp.path().string())});
  counting.cancel();
  CHECK_THROWS_AS(counting.run(), Cancelled);
  CHECK_FALSE(fs::exists(tmp.path() / "big.counts"));

  TestContext merging("examples.merge_counts",
                      {param("input_dir", (tmp.path() / "in").string()),
                       param("output", (tmp.path() / "out.tsv").string())});
  merging.cancel();
  CHECK_THROWS_AS(merging.run(), Cancelled);
  CHECK_FALSE(fs::exists(tmp.path() / "out.tsv"));
}

}  // namespace
}  // namespace lockstep::examples_test
