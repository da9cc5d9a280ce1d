// One pipeline everywhere: every rank of a cluster run compares the hashes of its pipeline file
// and plugin files with rank 0's (the journal's file hashes), and the ranks agree on what
// differs, so that they all stop together.
#include "lockstep/export.hpp"
#include "lockstep/pipeline/cluster.hpp"
#include "lockstep/pipeline/journal.hpp"

#include <sstream>

namespace lockstep::inline LOCKSTEP_ABI {

namespace {

struct Identity {
  std::string what;  // "pipeline", or "plugin 'core'"
  std::string path;
  std::string hash;
};

// One line per file: what, path and hash, tab-separated.
std::string to_text(const std::vector<Identity>& files) {
  std::string text;
  for (const auto& file : files) text += file.what + '\t' + file.path + '\t' + file.hash + '\n';
  return text;
}

std::vector<Identity> from_text(const std::string& text) {
  std::vector<Identity> files;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find('\t');
    const auto second = line.find('\t', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    files.push_back({line.substr(0, first), line.substr(first + 1, second - first - 1),
                     line.substr(second + 1)});
  }
  return files;
}

// What differs between this rank's files and rank 0's: the first difference, or "".
std::string difference(const std::vector<Identity>& mine, const std::vector<Identity>& first) {
  for (std::size_t i = 0; i < mine.size() || i < first.size(); ++i) {
    if (i >= mine.size()) return first[i].what + " " + first[i].path + " of rank 0 is not loaded";
    if (i >= first.size()) return mine[i].what + " " + mine[i].path + " is not loaded on rank 0";
    const auto& a = mine[i];
    const auto& b = first[i];
    if (a.what != b.what) return a.what + " " + a.path + " where rank 0 has " + b.what;
    if (a.hash != b.hash) {
      return a.what + " " + a.path + " differs from rank 0's " + b.path + " (hash " +
             (a.hash.empty() ? "unreadable" : a.hash) + ", rank 0: " + b.hash + ")";
    }
  }
  return {};
}

}  // namespace

std::string agree(Cluster& cluster, const std::string& problem) {
  const auto problems = cluster.gather(problem);
  std::string text;
  for (std::size_t rank = 0; rank < problems.size(); ++rank) {
    if (!problems[rank].empty())
      text += "rank " + std::to_string(rank) + ": " + problems[rank] + '\n';
  }
  return cluster.broadcast(text);
}

std::string same_pipeline_everywhere(Cluster& cluster, const std::string& pipeline_file,
                                     const std::vector<PluginInfo>& plugins,
                                     const std::string& load_error) {
  std::vector<Identity> files{{"pipeline", pipeline_file, RunJournal::file_hash(pipeline_file)}};
  for (const auto& plugin : plugins) {
    if (plugin.path.empty()) continue;  // registered by the program itself
    files.push_back(
        {"plugin '" + plugin.name + "'", plugin.path.string(), RunJournal::file_hash(plugin.path)});
  }
  auto first = from_text(cluster.broadcast(to_text(files)));
  std::string problem;
  if (cluster.rank() != 0) {
    // A rank that could not load the pipeline may lack plugins: its pipeline file first, then
    // why it did not load.
    if (!load_error.empty() && first.size() > 1) first.resize(1);
    if (!load_error.empty() && files.size() > 1) files.resize(1);
    problem = difference(files, first);
  }
  if (problem.empty()) problem = load_error;
  return agree(cluster, problem);
}

}  // namespace lockstep::inline LOCKSTEP_ABI
