// Helpers of the plugin-layer tests: raw values as the config layer would make them, the fixture
// plugins' paths, an environment variable set for one test, a scratch directory.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <lockstep/plugin/params.hpp>

namespace lockstep::test {

inline const char* const kSource = "pipe.yaml";

inline SourceLocation at(int line, int column) { return {kSource, line, column}; }

inline RawValue scalar(std::string text, int line = 1, int column = 1) {
  return RawValue::scalar(std::move(text), at(line, column));
}

inline RawValue quoted(std::string text, int line = 1, int column = 1) {
  auto value = scalar(std::move(text), line, column);
  value.quoted = true;
  return value;
}

inline RawValue list(std::vector<RawValue> items, int line = 1, int column = 1) {
  RawValue value;
  value.kind = RawValue::Kind::list;
  value.items = std::move(items);
  value.where = at(line, column);
  return value;
}

inline RawValue map(std::vector<RawEntry> entries, int line = 1, int column = 1) {
  RawValue value;
  value.kind = RawValue::Kind::map;
  value.entries = std::move(entries);
  value.where = at(line, column);
  return value;
}

// key at (line, 3), value where the RawValue says.
inline RawEntry entry(std::string key, RawValue value) {
  auto line = value.where.line;
  return {std::move(key), std::move(value), at(line, 3)};
}

// The purpose-built plugins of tests/fixtures/plugins.
inline std::filesystem::path fixture_dir(const std::string& name) {
  return std::filesystem::path(LOCKSTEP_TEST_PLUGIN_DIR) / name;
}
inline std::filesystem::path fixture_file(const std::string& dir, const std::string& file) {
  return fixture_dir(dir) / ("lockstep-" + file + ".so");
}
inline std::filesystem::path fixture_file(const std::string& name) {
  return fixture_file(name, name);
}

// Sets (or, with nullopt, unsets) an environment variable until the end of the scope.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// A fresh directory, removed with everything in it at the end of the scope.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("lockstep-plugin-test-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter.fetch_add(1)));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
    path_ = std::filesystem::canonical(path_);  // as the loader reports paths
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace lockstep::test
