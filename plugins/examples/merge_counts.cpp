// examples.merge_counts: the reduce step of a word count. Adds up every *.counts file that
// count_words wrote into input_dir and writes the result to `output`, most frequent word first
// (ties in word order), as "word<TAB>count" lines: the whole list, or its first `top` lines.
#include <lockstep/plugin.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <numeric>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "job_types.hpp"
#include "text_files.hpp"
#include "word_counts.hpp"

namespace lockstep::examples {
namespace {

// The *.counts files of `dir`, in name order so that the result never depends on the directory's.
std::vector<std::filesystem::path> counts_files(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::directory_iterator entries(dir, error);
  if (error) throw_io_error("read directory", dir, error.value());
  std::vector<std::filesystem::path> files;
  for (const auto& entry : entries) {
    if (entry.path().extension() == ".counts" && entry.is_regular_file()) {
      files.push_back(entry.path());
    }
  }
  if (files.empty()) {
    throw std::runtime_error("no .counts files in '" + dir.string() +
                             "': run count_words with output_dir: " + dir.string() + " first");
  }
  std::sort(files.begin(), files.end());
  return files;
}

class MergeCounts final : public Job {
 public:
  static JobType type() {
    return {
        "merge_counts",
        "Merges the *.counts files of a directory into one file, most frequent word first; "
        "publishes 'words' and 'distinct'",
        {ParamSpec::string("input_dir")
             .required()
             .doc("the directory of the .counts files count_words wrote"),
         ParamSpec::string("output").required().doc(
             "the file to write: 'word<TAB>count' lines by count descending, then word"),
         // ParamValue, because GCC takes a bare std::int64_t{0} for a null const char*.
         ParamSpec::integer("top")
             .min(0)
             .default_value(ParamValue(std::int64_t{0}))
             .doc("keep only the first `top` lines; 0 keeps every word")},
        {},
        {{"words", "how many words all the files hold"}, {"distinct", "how many different words"}}};
  }
  explicit MergeCounts(const Params& params)
      : input_dir_(params.get<std::string>("input_dir")),
        output_(params.get<std::string>("output")),
        top_(params.get<std::int64_t>("top")) {}

  void run(JobContext& context) override {
    WordCounts counts;
    const auto files = counts_files(input_dir_);
    for (const auto& file : files) {
      context.cancel_token().throw_if_cancelled();
      read_counts(file, counts, context.cancel_token());
    }
    const std::int64_t words =
        std::accumulate(counts.begin(), counts.end(), std::int64_t{0},
                        [](std::int64_t sum, const auto& entry) { return sum + entry.second; });

    CountLines lines(counts.begin(), counts.end());
    std::stable_sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) {
      return a.second > b.second;  // stable: equal counts stay in word order, as the map had them
    });
    if (top_ > 0 && lines.size() > static_cast<std::size_t>(top_)) {
      lines.resize(static_cast<std::size_t>(top_));
    }
    write_counts(output_, lines);

    context.log().info(files.size(), " files, ", words, " words, ", counts.size(),
                       " distinct, into ", output_.string());
    context.output("words", std::to_string(words));
    context.output("distinct", std::to_string(counts.size()));
  }

 private:
  std::filesystem::path input_dir_;
  std::filesystem::path output_;
  std::int64_t top_;
};

}  // namespace

void add_merge_counts(Registry& registry) { registry.add_job<MergeCounts>(); }

}  // namespace lockstep::examples
