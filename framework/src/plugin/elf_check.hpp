// Is a file a shared library this process can load? Checked before dlopen, which trusts the
// file's headers: a truncated library is mapped past its end and the process dies of SIGBUS when
// it touches the missing part, and a library for another machine gets a misleading "No such file
// or directory".
//
//   if (auto found = check_elf_file(path); !found.problem.empty())
//     diagnostics.error(where, "cannot load ... from '" + path.string() + "': " + found.problem,
//                       found.hint);
//
// The checks: the ELF magic, 64-bit, little-endian, a shared object, this machine (x86-64 on
// x86-64), program and section headers of the expected sizes and inside the file, every loaded
// segment inside the file, a dynamic section with entries, section headers that are not zeros.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

struct ElfCheck {
  // What is wrong, as the end of a sentence: "it is truncated (4096 of 16384 bytes)", "it is
  // built for aarch64, this lockstep is x86-64"; "" when the file looks loadable.
  std::string problem{};
  std::string hint{};
};

ElfCheck check_elf_file(const std::filesystem::path& path);

// The name of this process's machine, as messages say it: "x86-64".
LOCKSTEP_INTERNAL_API std::string_view this_machine() noexcept;

}  // namespace lockstep
