#include "plugin/elf_check.hpp"

#include <elf.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <system_error>
#include <vector>

namespace lockstep::inline LOCKSTEP_ABI {

namespace {

namespace fs = std::filesystem;

constexpr std::uint16_t kThisMachine =
#if defined(__x86_64__)
    EM_X86_64;
#elif defined(__aarch64__)
    EM_AARCH64;
#elif defined(__riscv) && __riscv_xlen == 64
    EM_RISCV;
#elif defined(__powerpc64__)
    EM_PPC64;
#elif defined(__s390x__)
    EM_S390;
#else
    EM_NONE;  // a machine this file does not know: not compared
#endif

// Dynamic entries and section headers read at most: far more than any plugin has.
constexpr std::uint64_t kMaxDynamicEntries = 4096;
constexpr std::uint64_t kMaxSections = 65535;

std::string machine_name(std::uint16_t machine) {
  switch (machine) {
    case EM_X86_64:
      return "x86-64";
    case EM_386:
      return "x86";
    case EM_AARCH64:
      return "aarch64";
    case EM_ARM:
      return "arm";
    case EM_RISCV:
      return "riscv";
    case EM_PPC64:
      return "ppc64";
    case EM_PPC:
      return "ppc";
    case EM_S390:
      return "s390x";
    case EM_MIPS:
      return "mips";
    case EM_SPARCV9:
      return "sparc64";
    case 258:  // EM_LOONGARCH, newer than this glibc's elf.h
      return "loongarch";
    default:
      return "machine " + std::to_string(machine);
  }
}

// Reads parts of a file that is known to be `size` bytes long.
class FileReader {
 public:
  FileReader(const fs::path& path, std::uint64_t size) : in_(path, std::ios::binary), size_(size) {}
  bool ok() const { return static_cast<bool>(in_); }
  std::uint64_t size() const noexcept { return size_; }

  // False when [offset, offset + bytes) is not all inside the file.
  bool read(std::uint64_t offset, void* into, std::size_t bytes) {
    if (offset > size_ || bytes > size_ - offset) return false;
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(static_cast<char*>(into), static_cast<std::streamsize>(bytes));
    return static_cast<std::size_t>(in_.gcount()) == bytes;
  }

 private:
  std::ifstream in_;
  std::uint64_t size_;
};

// offset + count * entry, or nullopt when it does not fit in 64 bits.
std::optional<std::uint64_t> end_of(std::uint64_t offset, std::uint64_t count,
                                    std::uint64_t entry) {
  std::uint64_t bytes = 0;
  std::uint64_t end = 0;
  if (__builtin_mul_overflow(count, entry, &bytes) || __builtin_add_overflow(offset, bytes, &end)) {
    return std::nullopt;
  }
  return end;
}

ElfCheck damaged(std::string what) {
  return {"it is damaged: " + std::move(what),
          "copy the plugin again, or rebuild it with lockstep_add_plugin()"};
}

ElfCheck truncated(std::uint64_t size, std::string expected) {
  return {"it is truncated (" + std::to_string(size) + " of " + std::move(expected) + " bytes)",
          "copy the plugin again, or rebuild it: the file is not complete"};
}

// The identification bytes and the machine: is the file for this process at all?
ElfCheck check_identity(const std::array<unsigned char, 20>& start, std::uint64_t size) {
  if (size < 4 || std::memcmp(start.data(), ELFMAG, SELFMAG) != 0) {
    return {"it is not a shared library (no ELF header)",
            "a plugin is a .so built with lockstep_add_plugin()"};
  }
  if (size < start.size()) return truncated(size, "at least " + std::to_string(sizeof(Elf64_Ehdr)));
  const bool big_endian = start[EI_DATA] == ELFDATA2MSB;
  const auto machine = static_cast<std::uint16_t>(big_endian ? start[18] << 8 | start[19]
                                                             : start[19] << 8 | start[18]);
  const bool class_ok = start[EI_CLASS] == (sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32);
  const bool order_ok = big_endian == (std::endian::native == std::endian::big);
  const bool machine_ok = kThisMachine == EM_NONE || machine == kThisMachine;
  if (!class_ok || !order_ok || !machine_ok) {
    std::string built_for = machine_name(machine);
    if (start[EI_CLASS] == ELFCLASS32) built_for += " (32-bit)";
    if (big_endian) built_for += " (big-endian)";
    return {"it is built for " + built_for + ", this lockstep is " + std::string(this_machine()),
            "build the plugin on, or for, " + std::string(this_machine())};
  }
  return {};
}

ElfCheck check_type(std::uint16_t type) {
  switch (type) {
    case ET_DYN:
      return {};
    case ET_EXEC:
      return {"it is a program, not a shared library",
              "a plugin is a .so built with lockstep_add_plugin()"};
    case ET_REL:
      return {"it is an object file, not a shared library",
              "link it into a .so with lockstep_add_plugin()"};
    case ET_CORE:
      return {"it is a core dump, not a shared library", ""};
    default:
      return damaged("its ELF type is " + std::to_string(type));
  }
}

// A shared library's dynamic section names its string and symbol tables; zeros name nothing.
ElfCheck check_dynamic(FileReader& file, const Elf64_Phdr& dynamic) {
  const auto entries = std::min(dynamic.p_filesz / sizeof(Elf64_Dyn), kMaxDynamicEntries);
  std::vector<Elf64_Dyn> table(entries);
  if (entries == 0 || !file.read(dynamic.p_offset, table.data(), entries * sizeof(Elf64_Dyn))) {
    return damaged("its dynamic section is empty");
  }
  bool strtab = false;
  bool symtab = false;
  for (const auto& entry : table) {
    if (entry.d_tag == DT_NULL) break;
    strtab = strtab || entry.d_tag == DT_STRTAB;
    symtab = symtab || entry.d_tag == DT_SYMTAB;
  }
  if (!strtab || !symtab) return damaged("its dynamic section has no symbol table (zeros?)");
  return {};
}

ElfCheck check_sections(FileReader& file, const Elf64_Ehdr& header) {
  if (header.e_shnum == 0) return {};  // stripped of section headers: nothing to compare
  std::vector<Elf64_Shdr> sections(std::min<std::uint64_t>(header.e_shnum, kMaxSections));
  if (!file.read(header.e_shoff, sections.data(), sections.size() * sizeof(Elf64_Shdr))) {
    return damaged("its section headers cannot be read");
  }
  const Elf64_Shdr zero{};
  for (std::size_t i = 1; i < sections.size(); ++i) {
    if (std::memcmp(&sections[i], &zero, sizeof zero) == 0) {
      return damaged("its section headers are zeros");
    }
  }
  if (header.e_shstrndx >= sections.size() || sections[header.e_shstrndx].sh_type != SHT_STRTAB) {
    return damaged("its section names are missing");
  }
  return {};
}

ElfCheck check_layout(FileReader& file) {
  Elf64_Ehdr header{};
  if (!file.read(0, &header, sizeof header)) {
    return truncated(file.size(), "at least " + std::to_string(sizeof header));
  }
  if (auto found = check_type(header.e_type); !found.problem.empty()) return found;
  if (header.e_ehsize != sizeof(Elf64_Ehdr) || header.e_phentsize != sizeof(Elf64_Phdr) ||
      header.e_phnum == 0 || header.e_phnum == PN_XNUM ||
      (header.e_shnum != 0 && header.e_shentsize != sizeof(Elf64_Shdr))) {
    return damaged("its ELF header has impossible sizes");
  }
  const auto program_end = end_of(header.e_phoff, header.e_phnum, sizeof(Elf64_Phdr));
  const auto section_end = end_of(header.e_shoff, header.e_shnum, sizeof(Elf64_Shdr));
  if (!program_end || !section_end) return damaged("its ELF header has impossible offsets");
  std::uint64_t expected = std::max({std::uint64_t{sizeof header}, *program_end, *section_end});
  std::vector<Elf64_Phdr> segments(header.e_phnum);
  if (!file.read(header.e_phoff, segments.data(), segments.size() * sizeof(Elf64_Phdr))) {
    return truncated(file.size(), std::to_string(expected));
  }
  const Elf64_Phdr* dynamic = nullptr;
  for (const auto& segment : segments) {
    if (segment.p_type != PT_LOAD && segment.p_type != PT_DYNAMIC) continue;
    const auto end = end_of(segment.p_offset, 1, segment.p_filesz);
    if (!end) return damaged("a segment of it has an impossible size");
    expected = std::max(expected, *end);
    if (segment.p_type == PT_DYNAMIC) dynamic = &segment;
  }
  if (file.size() < expected) return truncated(file.size(), std::to_string(expected));
  if (dynamic == nullptr) {
    return {"it has no dynamic section: it is no shared library",
            "a plugin is a .so built with lockstep_add_plugin()"};
  }
  if (auto found = check_dynamic(file, *dynamic); !found.problem.empty()) return found;
  return check_sections(file, header);
}

}  // namespace

std::string_view this_machine() noexcept {
  static const std::string name = machine_name(kThisMachine);
  return name;
}

ElfCheck check_elf_file(const fs::path& path) {
  std::error_code error;
  const auto size = fs::file_size(path, error);
  if (error) return {"cannot read it: " + error.message(), ""};
  if (size == 0)
    return {"it is empty (0 bytes)", "a plugin is a .so built with lockstep_add_plugin()"};
  FileReader file(path, size);
  std::array<unsigned char, 20> start{};  // e_ident, e_type, e_machine
  if (!file.ok()) return {"cannot open it", "is it readable?"};
  file.read(0, start.data(), std::min<std::uint64_t>(size, start.size()));
  if (auto found = check_identity(start, size); !found.problem.empty()) return found;
  if constexpr (sizeof(void*) != 8) return {};  // the layout checks read 64-bit headers
  return check_layout(file);
}

}  // namespace lockstep
