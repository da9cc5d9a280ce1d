#include "config/stage_graph.hpp"

#include <algorithm>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lockstep::config {

namespace {

// s needs `to`, written at `where` (the stage's name when it is the stage before, by default).
struct Edge {
  std::size_t to = 0;
  SourceLocation where{};
  bool implicit = false;
};

std::string at(const SourceLocation& where) {
  return std::to_string(where.line) + ":" + std::to_string(where.column);
}

class GraphCheck {
 public:
  GraphCheck(std::span<const StageSpec> stages, std::span<const std::string> all_names,
             Diagnostics& diagnostics)
      : stages_(stages), all_names_(all_names), diagnostics_(diagnostics), edges_(stages.size()) {
    for (std::size_t s = 0; s < stages_.size(); ++s) index_.emplace(stages_[s].name, s);
  }

  void run() {
    for (std::size_t s = 0; s < stages_.size(); ++s) read_edges(s);
    if (find_cycles()) return;  // ancestors of a cycle say nothing useful
    for (std::size_t s = 0; s < stages_.size(); ++s) {
      check_outputs_read(s);
      check_condition(s, stages_[s].condition, "the 'if' of stage '" + stages_[s].name + "'");
      for (const auto& job : stages_[s].jobs) {
        check_condition(s, job.condition, "the 'if' of job '" + job.id + "'");
        check_params(s, job);
      }
    }
  }

 private:
  void read_edges(std::size_t s) {
    const auto& stage = stages_[s];
    if (!stage.needs) {
      if (s > 0) edges_[s].push_back({s - 1, stage.where, true});
      return;
    }
    for (const auto& need : *stage.needs) {
      if (need.stage == stage.name) {
        diagnostics_.error(need.where, "stage '" + stage.name + "' needs itself",
                           "a stage starts when what it needs has ended: remove it from 'needs'");
        continue;
      }
      const auto found = index_.find(need.stage);
      if (found != index_.end()) {
        edges_[s].push_back({found->second, need.where, false});
        continue;
      }
      // A stage refused for another mistake: that one is reported already.
      if (std::ranges::find(all_names_, need.stage) != all_names_.end()) continue;
      std::vector<std::string> names;
      for (const auto& other : stages_) {
        if (other.name != stage.name) names.push_back(other.name);
      }
      auto hint = did_you_mean(need.stage, names);
      if (hint.empty()) hint = "'needs' lists stages of this pipeline";
      diagnostics_.error(
          need.where, "unknown stage '" + need.stage + "' in 'needs' of stage '" + stage.name + "'",
          std::move(hint));
    }
  }

  // Depth first, without recursion (a pipeline may have thousands of stages): an edge back to a
  // stage on the path closes a cycle, reported once with every edge of it.
  bool find_cycles() {
    enum class Mark : unsigned char { unseen, on_path, done };
    std::vector<Mark> mark(stages_.size(), Mark::unseen);
    struct Step {
      std::size_t stage;
      std::size_t next_edge;
    };
    bool found = false;
    for (std::size_t root = 0; root < stages_.size(); ++root) {
      if (mark[root] != Mark::unseen) continue;
      std::vector<Step> path{{root, 0}};
      mark[root] = Mark::on_path;
      while (!path.empty()) {
        auto& step = path.back();
        if (step.next_edge == edges_[step.stage].size()) {
          mark[step.stage] = Mark::done;
          path.pop_back();
          continue;
        }
        const auto& edge = edges_[step.stage][step.next_edge++];
        if (mark[edge.to] == Mark::unseen) {
          mark[edge.to] = Mark::on_path;
          path.push_back({edge.to, 0});
        } else if (mark[edge.to] == Mark::on_path) {
          report_cycle(path, edge.to);
          found = true;
        }
      }
    }
    return found;
  }

  template <class Path>
  void report_cycle(const Path& path, std::size_t closing) {
    auto first = std::ranges::find(path, closing, &Path::value_type::stage);
    std::string text;
    SourceLocation where;
    for (auto step = first; step != path.end(); ++step) {
      const auto& edge = edges_[step->stage][step->next_edge - 1];
      if (step == first) where = edge.where;
      if (!text.empty()) text += ", ";
      text += "'" + stages_[step->stage].name + "' needs '" + stages_[edge.to].name + "' (" +
              (edge.implicit ? "the stage before it, by default, " : "") + "at " + at(edge.where) +
              ")";
    }
    diagnostics_.error(where, "the stages form a cycle: " + text,
                       "remove one of these needs; a stage without 'needs' needs the stage "
                       "before it");
  }

  // Whether `from` needs `to`, directly or not.
  bool needs(std::size_t from, std::size_t to) const {
    std::vector<bool> seen(stages_.size(), false);
    std::vector<std::size_t> next{from};
    while (!next.empty()) {
      const auto s = next.back();
      next.pop_back();
      for (const auto& edge : edges_[s]) {
        if (edge.to == to) return true;
        if (!seen[edge.to]) {
          seen[edge.to] = true;
          next.push_back(edge.to);
        }
      }
    }
    return false;
  }

  // A from_outputs fan-out of stage s reads a stage s needs, a job of it, a key it declares.
  void check_outputs_read(std::size_t s) {
    for (const auto& job : stages_[s].jobs) {
      // No reference: it was malformed, and reported as such.
      if (job.foreach.kind != FanOut::Kind::from_outputs || job.foreach.reference.empty()) continue;
      check_read(s, {job.foreach.reference, job.foreach.reference_where, true},
                 "'from_outputs' in job '" + job.id + "'",
                 "a fan-out's instances are made when its stage starts");
    }
  }

  // Each ${outputs.STAGE.JOB.KEY} of a condition of stage s names a stage s needs, and a job of it.
  void check_condition(std::size_t s, const std::optional<Condition>& condition,
                       const std::string& what) {
    if (!condition) return;
    for (const auto& output : condition->outputs) {
      check_read(s, {output.reference, output.where, true}, what,
                 "a condition is decided before its stage starts");
    }
  }

  // The same for the ${outputs.*} of a job's params; a fan-out's values need [N] or [*].
  void check_params(std::size_t s, const JobSpec& job) {
    const auto what = "a parameter of job '" + job.id + "'";
    for (const auto& read : job.reads) {
      const auto* from = check_read(s, read, what, "params are filled in when their stage starts");
      if (from == nullptr || read.picks || from->foreach.kind == FanOut::Kind::none) continue;
      diagnostics_.error(read.where,
                         "'${outputs." + read.reference + "}' in " + what + " reads job '" +
                             from->id + "', which fans out: it may publish many values",
                         "write ${outputs." + read.reference +
                             "[N]} for the value at N (from 0), "
                             "or ${outputs." +
                             read.reference + "[*]} for all, joined by spaces");
    }
  }

  // Reports what is wrong with `read` (of stage s); the job it reads, or null when that is
  // `stage` or the read is wrong. `why_not_own` says why a stage cannot read its own outputs.
  const JobSpec* check_read(std::size_t s, const OutputRead& read, const std::string& what,
                            std::string_view why_not_own) {
    const auto& stage = stages_[s];
    const std::string_view reference = read.reference;
    const auto stage_end = reference.find('.');
    const auto job_end = reference.find('.', stage_end + 1);
    const std::string name(reference.substr(0, stage_end));
    const std::string job(reference.substr(stage_end + 1, job_end - stage_end - 1));
    if (name == stage.name) {
      diagnostics_.error(read.where, what + " reads the outputs of its own stage",
                         std::string(why_not_own) + ": publish '" +
                             std::string(reference.substr(job_end + 1)) +
                             "' in a stage that this one needs");
      return nullptr;
    }
    const auto found = index_.find(name);
    if (found == index_.end()) {
      if (std::ranges::find(all_names_, name) != all_names_.end()) return nullptr;  // reported
      std::vector<std::string> names;
      for (const auto& other : stages_) names.push_back(other.name);
      auto hint = did_you_mean(name, names);
      if (hint.empty()) hint = "name a stage that stage '" + stage.name + "' needs";
      diagnostics_.error(read.where, "unknown stage '" + name + "' in " + what, std::move(hint));
      return nullptr;
    }
    const auto& from = stages_[found->second];
    const auto read_job = std::ranges::find(from.jobs, job, &JobSpec::id);
    if (job != "stage" && read_job == from.jobs.end()) {
      std::vector<std::string> ids{"stage"};
      for (const auto& other : from.jobs) ids.push_back(other.id);
      auto hint = did_you_mean(job, ids);
      if (hint.empty()) hint = "JOB is a job id of stage '" + name + "', or 'stage'";
      diagnostics_.error(read.where, "unknown job '" + job + "' of stage '" + name + "' in " + what,
                         std::move(hint));
      return nullptr;
    }
    if (!needs(s, found->second)) {
      // Needing it would close a cycle when it needs this stage already.
      auto hint = needs(found->second, s)
                      ? "stage '" + name + "' runs after stage '" + stage.name +
                            "' (it needs it): read a stage that '" + stage.name + "' needs"
                      : "add '" + name + "' to the 'needs' of stage '" + stage.name +
                            "', so that it has ended when this one starts";
      diagnostics_.error(read.where,
                         what + " reads the outputs of stage '" + name + "', which stage '" +
                             stage.name + "' does not need",
                         std::move(hint));
      return nullptr;
    }
    const auto key = reference.substr(job_end + 1);
    if (read_job == from.jobs.end()) {  // `stage`: what its kind published
      if (from.kind_type != nullptr) {
        declares(from.kind_type->declaration.outputs, from.kind_type->qualified_name,
                 "stage '" + name + "'", key, read.where, what);
      }
      return nullptr;
    }
    if (read_job->type == nullptr) return &*read_job;
    return declares(read_job->type->declaration.outputs, read_job->type->qualified_name,
                    "job '" + read_job->id + "'", key, read.where, what)
               ? &*read_job
               : nullptr;
  }

  // Whether a job type or stage kind (`type`) publishes `key`, as far as it says: one that
  // declares its outputs publishes no other key. `whose` is "job 'get'" or "stage 'race'".
  bool declares(const std::vector<OutputSpec>& outputs, const std::string& type,
                const std::string& whose, std::string_view key, const SourceLocation& where,
                const std::string& what) {
    if (outputs.empty()) return true;
    if (std::ranges::find(outputs, key, &OutputSpec::name) != outputs.end()) return true;
    std::vector<std::string> names;
    for (const auto& output : outputs) names.push_back(output.name);
    auto hint = did_you_mean(key, names);
    if (hint.empty()) {
      std::string known;
      for (const auto& name : names) known += (known.empty() ? "" : ", ") + name;
      hint = type + " publishes: " + known;
    }
    diagnostics_.error(
        where,
        what + " reads the output '" + std::string(key) + "' of " + whose +
            (whose.starts_with("stage") ? ", which its kind " : ", which its type ") + type +
            " does not publish",
        std::move(hint));
    return false;
  }

  std::span<const StageSpec> stages_;
  std::span<const std::string> all_names_;
  Diagnostics& diagnostics_;
  std::unordered_map<std::string_view, std::size_t> index_;
  std::vector<std::vector<Edge>> edges_;  // by stage: what it needs
};

}  // namespace

void check_stage_graph(std::span<const StageSpec> stages, std::span<const std::string> all_names,
                       Diagnostics& diagnostics) {
  GraphCheck(stages, all_names, diagnostics).run();
}

}  // namespace lockstep::config
