#include "reuse_text.hpp"

#include <nlohmann/json.hpp>

namespace lockstep::cli {

std::string reuse_text(const Reuse& reuse) {
  auto jobs = nlohmann::json::array();
  reuse.visit(
      [&](std::string_view stage, int iteration, std::string_view job, const JobReuse& reused) {
        auto ranges = nlohmann::json::array();
        for (const auto& range : reused.ranges) ranges.push_back({range.from, range.to});
        auto outputs = nlohmann::json::array();
        for (const auto& output : reused.outputs) {
          outputs.push_back({output.index, output.key, output.value});
        }
        jobs.push_back({{"stage", stage},
                        {"iteration", iteration},
                        {"job", job},
                        {"ranges", std::move(ranges)},
                        {"outputs", std::move(outputs)}});
      });
  return jobs.dump();
}

std::optional<Reuse> reuse_of(const std::string& text) {
  const auto jobs = nlohmann::json::parse(text, nullptr, false);
  if (!jobs.is_array()) return std::nullopt;
  Reuse reuse;
  try {
    for (const auto& job : jobs) {
      JobReuse reused;
      for (const auto& range : job.at("ranges")) {
        reused.ranges.push_back(
            {range.at(0).get<std::uint64_t>(), range.at(1).get<std::uint64_t>()});
      }
      for (const auto& output : job.at("outputs")) {
        reused.outputs.push_back({output.at(0).get<std::uint64_t>(),
                                  output.at(1).get<std::string>(),
                                  output.at(2).get<std::string>()});
      }
      reuse.add(job.at("stage").get<std::string>(), job.at("iteration").get<int>(),
                job.at("job").get<std::string>(), std::move(reused));
    }
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  return reuse;
}

}  // namespace lockstep::cli
