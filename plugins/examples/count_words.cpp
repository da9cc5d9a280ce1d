// examples.count_words: the map step of a word count. Counts the words of one text file (the
// rule is add_words' in word_counts.hpp: runs of ASCII letters and digits, lowercased) and writes
// them to <output_dir>/<the input's stem>.counts, one "word<TAB>count" line per word, sorted by
// word, for merge_counts to reduce. Two inputs with the same stem would write the same file: give
// each text a name of its own.
#include <lockstep/plugin.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

#include "job_types.hpp"
#include "text_files.hpp"
#include "word_counts.hpp"

namespace lockstep::examples {
namespace {

class CountWords final : public Job {
 public:
  static JobType type() {
    return {"count_words",
            "Counts the words of a text file into <output_dir>/<stem>.counts; publishes 'words' "
            "and 'distinct'",
            {ParamSpec::string("input").required().doc(
                 "the text file to read; a word is a run of ASCII letters and digits, lowercased"),
             ParamSpec::string("output_dir")
                 .required()
                 .doc("where to write <input's stem>.counts (created if missing)")},
            {},
            {{"words", "how many words the file holds"},
             {"distinct", "how many different words"},
             {"counts", "the .counts file written"}}};
  }
  explicit CountWords(const Params& params)
      : input_(params.get<std::string>("input")),
        output_dir_(params.get<std::string>("output_dir")) {}

  void run(JobContext& context) override {
    WordCounts counts;
    std::int64_t words = 0;
    LineReader in(input_);
    for (std::string_view line; in.next(line);) {
      if (in.line_number() % kLinesBetweenCancelChecks == 0) {
        context.cancel_token().throw_if_cancelled();
      }
      words += add_words(line, counts);  // a line break ends a word, so lines count apart
    }
    const auto output = output_dir_ / (input_.stem().string() + ".counts");
    write_counts(output, {counts.begin(), counts.end()});
    context.log().info(input_.string(), ": ", words, " words, ", counts.size(), " distinct, in ",
                       output.string());
    context.output("words", std::to_string(words));
    context.output("distinct", std::to_string(counts.size()));
    context.output("counts", output.string());
  }

 private:
  std::filesystem::path input_;
  std::filesystem::path output_dir_;
};

}  // namespace

void add_count_words(Registry& registry) { registry.add_job<CountWords>(); }

}  // namespace lockstep::examples
