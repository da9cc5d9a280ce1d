#include "run/instance_source.hpp"

#include <glob.h>

#include <algorithm>

namespace lockstep::run {
namespace {

std::vector<std::string> matching_files(const std::string& pattern) {
  glob_t matches{};
  std::vector<std::string> paths;
  if (::glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
    for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
      if (std::filesystem::is_regular_file(matches.gl_pathv[i]))
        paths.emplace_back(matches.gl_pathv[i]);
    }
  }
  ::globfree(&matches);
  std::sort(paths.begin(), paths.end());  // glob sorts by locale; we promise byte order
  return paths;
}

// Rank 0's matches, on every rank: the paths one after another, each ended by a NUL (which no
// path holds).
std::vector<std::string> files_of_rank_0(Cluster& cluster, const std::string& pattern) {
  std::string listed;
  if (cluster.rank() == 0) {
    for (const auto& path : matching_files(pattern)) listed += path + '\0';
  }
  listed = cluster.broadcast(listed);
  std::vector<std::string> paths;
  for (std::size_t start = 0, end; (end = listed.find('\0', start)) != std::string::npos;
       start = end + 1) {
    paths.emplace_back(listed, start, end - start);
  }
  return paths;
}

}  // namespace

InstanceSource::InstanceSource(const FanOut& fan_out, const Outputs& outputs, Cluster* cluster)
    : fan_out_(&fan_out) {
  switch (fan_out.kind) {
    case FanOut::Kind::none:
    case FanOut::Kind::items:
    case FanOut::Kind::range:
    case FanOut::Kind::matrix:
      size_ = *instance_count(fan_out);
      break;
    case FanOut::Kind::from_outputs:
      values_ = outputs.values(fan_out.reference);
      size_ = values_.size();
      break;
    case FanOut::Kind::files:
      values_ = cluster != nullptr ? files_of_rank_0(*cluster, fan_out.pattern)
                                   : matching_files(fan_out.pattern);
      size_ = values_.size();
      break;
  }
}

Item InstanceSource::item(std::uint64_t index) const {
  const FanOut& f = *fan_out_;
  switch (f.kind) {
    case FanOut::Kind::none:
      return {};
    case FanOut::Kind::items:
      return f.items[index];
    case FanOut::Kind::range:
      return {std::to_string(f.from + static_cast<std::int64_t>(index) * f.step), {}};
    case FanOut::Kind::matrix: {
      Item item;
      for (auto axis = f.axes.rbegin(); axis != f.axes.rend(); ++axis) {
        const auto n = axis->values.size();
        item.fields.emplace(axis->name, axis->values[index % n]);
        index /= n;
      }
      item.value = to_string(ParamValue(item.fields));
      return item;
    }
    case FanOut::Kind::from_outputs:
      return {values_[index], {}};
    case FanOut::Kind::files: {
      const std::filesystem::path path(values_[index]);
      return {values_[index],
              {{"path", values_[index]},
               {"name", path.filename().string()},
               {"stem", path.stem().string()}}};
    }
  }
  return {};
}

}  // namespace lockstep::run
