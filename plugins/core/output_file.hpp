// The file named by $LOCKSTEP_OUTPUT, where a command writes KEY=value lines to publish outputs
// (as a GitHub Actions step writes to $GITHUB_OUTPUT): a shell command cannot call output().
//
// The file does not exist until the command writes it ("echo k=v >> $LOCKSTEP_OUTPUT" creates
// it). It lies in a directory of this process's own (mode 0700, made at the first command and
// removed at exit), under a name no other command of the process gets, so nobody else can
// create it first. Why not an empty file made in advance with mkstemp: creating and removing a
// file is a journaled metadata update, which took longer than running /bin/true on the machine
// of docs/performance.md, and most commands publish nothing.
#pragma once

#include <string>

#include <lockstep/plugin.hpp>

namespace lockstep::core {

class OutputFile {
 public:
  // Throws std::runtime_error, saying why, when the directory cannot be made.
  OutputFile();
  ~OutputFile();  // removes the file, if the command wrote one
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  const std::string& path() const noexcept { return path_; }

  // Publishes each KEY=value line (the value is the rest of the line, '=' and all); empty lines
  // are skipped and anything else fails the job. No file: nothing to publish.
  void publish(JobContext& context) const;

 private:
  std::string path_;
};

}  // namespace lockstep::core
