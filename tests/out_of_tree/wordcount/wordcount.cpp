// wordcount.cpp — a lockstep plugin with one job type, wordcount.count: it counts the lines and
// the words of a text file and publishes both for later stages.
#include <lockstep/plugin.hpp>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

class Count final : public lockstep::Job {
 public:
  static lockstep::JobType type() {
    using lockstep::ParamSpec;
    return {"count",
            "Counts the lines and words of a text file",
            {ParamSpec::string("path").required().doc("the file to read"),
             ParamSpec::integer("min_length")
                 .doc("count only words at least this long")
                 .range(1, 100)
                 .default_value(std::int64_t{1})}};
  }

  explicit Count(const lockstep::Params& params)
      : path_(params.get<std::string>("path")),
        min_length_(params.get<std::int64_t>("min_length")) {}

  void run(lockstep::JobContext& context) override {
    std::ifstream file(path_);
    if (!file) throw std::runtime_error("cannot open '" + path_ + "'");  // the job fails
    std::int64_t lines = 0;
    std::int64_t words = 0;
    for (std::string line; std::getline(file, line); ++lines) {
      if (lines % 1000 == 0) context.cancel_token().throw_if_cancelled();
      std::istringstream split(line);
      for (std::string word; split >> word;) {
        if (static_cast<std::int64_t>(word.size()) >= min_length_) ++words;
      }
    }
    context.log().info(path_, ": ", lines, " lines, ", words, " words");
    context.output("lines", std::to_string(lines));
    context.output("words", std::to_string(words));
  }

 private:
  std::string path_;
  std::int64_t min_length_;
};

LOCKSTEP_PLUGIN("wordcount", "1.0.0", [](lockstep::Registry& registry) {
  registry.add_job<Count>();  // pipelines say wordcount.count, or count
})
