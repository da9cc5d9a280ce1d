// Damaged and foreign plugin files: the loader reads their headers before dlopen and refuses them
// with a reason, never a crash. The files are made here from a real plugin (truncated, its tail
// zeroed, zeros only) or byte by byte (an aarch64 library header, a 32-bit one, an object file).
#include <catch2/catch.hpp>

#include <elf.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <lockstep/pipeline/plugin_loader.hpp>

#include "plugin/elf_check.hpp"
#include "support.hpp"

namespace lockstep::test {
namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

// This process's ELF machine, for files that differ from a good one in another way only.
constexpr std::uint16_t kHere =
#if defined(__x86_64__)
    EM_X86_64;
#elif defined(__aarch64__)
    EM_AARCH64;
#else
    EM_NONE;
#endif

std::vector<char> read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_all(const fs::path& path, const std::vector<char>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The plugin the fixtures start from: a real .so of this build, the core plugin.
std::vector<char> good_plugin() {
  auto bytes = read_all(fs::path(LOCKSTEP_TEST_BUNDLED_PLUGIN_DIR) / "lockstep-core.so");
  REQUIRE(bytes.size() > 70'000);  // so that the cuts below fall inside it
  return bytes;
}

// A 64-byte ELF header of a shared library, for `machine`, class and byte order as given.
std::vector<char> elf_header(std::uint16_t machine, unsigned char elf_class = ELFCLASS64,
                             std::uint16_t type = ET_DYN) {
  Elf64_Ehdr header{};
  std::memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = elf_class;
  header.e_ident[EI_DATA] = ELFDATA2LSB;
  header.e_ident[EI_VERSION] = EV_CURRENT;
  header.e_type = type;
  header.e_machine = machine;
  header.e_version = EV_CURRENT;
  header.e_ehsize = sizeof(Elf64_Ehdr);
  header.e_phentsize = sizeof(Elf64_Phdr);
  header.e_phoff = sizeof(Elf64_Ehdr);
  header.e_phnum = 1;
  std::vector<char> bytes(sizeof header);
  std::memcpy(bytes.data(), &header, sizeof header);
  return bytes;
}

// Loads `bytes` as lockstep-broken.so; the one error's message.
std::string load_error(const std::vector<char>& bytes, std::string* hint = nullptr) {
  ScratchDir dir;
  write_all(dir / "lockstep-broken.so", bytes);
  Registry registry;
  PluginLoader loader(registry, {dir.path()});
  Diagnostics diagnostics;
  CHECK_FALSE(loader.load("broken", {"pipe.yaml", 3, 5}, diagnostics));
  INFO(diagnostics.to_string());
  REQUIRE(diagnostics.error_count() == 1);
  CHECK(registry.plugins().empty());
  const auto& d = diagnostics.all().front();
  CHECK(d.where.line == 3);
  const auto prefix =
      "cannot load plugin 'broken' from '" + (dir / "lockstep-broken.so").string() + "': ";
  CHECK_THAT(d.message, Catch::StartsWith(prefix));
  if (hint != nullptr) *hint = d.hint;
  return d.message.substr(std::min(prefix.size(), d.message.size()));
}

TEST_CASE("a truncated plugin is refused with its size and the size it should have", "[elf]") {
  const auto bytes = good_plugin();
  const auto full = std::to_string(bytes.size());
  for (std::size_t cut :
       {std::size_t{4096}, std::size_t{20'480}, std::size_t{65'536}, bytes.size() - 1}) {
    INFO("cut at " << cut);
    std::string hint;
    CHECK_THAT(load_error({bytes.begin(), bytes.begin() + static_cast<long>(cut)}, &hint),
               Equals("it is truncated (" + std::to_string(cut) + " of " + full + " bytes)"));
    CHECK_THAT(hint, Contains("not complete"));
  }
  CHECK_THAT(load_error({bytes.begin(), bytes.begin() + 40}),
             Equals("it is truncated (40 of at least 64 bytes)"));
}

TEST_CASE("a plugin whose tail is zeros, or a file of zeros, is refused", "[elf]") {
  auto bytes = good_plugin();
  SECTION("its last part zeroed, the size unchanged") {
    std::fill(bytes.begin() + 20'480, bytes.end(), '\0');
    CHECK_THAT(load_error(bytes), Contains("it is damaged: "));
  }
  SECTION("zero-padded after a cut: the size right, the headers at its end gone") {
    std::fill(bytes.end() - 4096, bytes.end(), '\0');
    CHECK_THAT(load_error(bytes), Equals("it is damaged: its section headers are zeros"));
  }
  SECTION("nothing but zeros") {
    CHECK_THAT(load_error(std::vector<char>(bytes.size(), '\0')),
               Equals("it is not a shared library (no ELF header)"));
  }
  SECTION("empty") { CHECK_THAT(load_error({}), Equals("it is empty (0 bytes)")); }
}

TEST_CASE("a plugin for another machine names both machines", "[elf]") {
  std::string hint;
  CHECK_THAT(load_error(elf_header(EM_AARCH64), &hint),
             Equals("it is built for aarch64, this lockstep is " + std::string(this_machine())));
  CHECK_THAT(hint, Equals("build the plugin on, or for, " + std::string(this_machine())));
  CHECK_THAT(
      load_error(elf_header(EM_386, ELFCLASS32)),
      Equals("it is built for x86 (32-bit), this lockstep is " + std::string(this_machine())));
  auto big_endian = elf_header(EM_PPC64);
  big_endian[EI_DATA] = ELFDATA2MSB;
  std::swap(big_endian[18], big_endian[19]);
  CHECK_THAT(load_error(big_endian), Contains("it is built for ppc64 (big-endian), this lockstep"));
}

TEST_CASE("files that are ELF but no shared library say what they are", "[elf]") {
  const std::uint16_t here = kHere;
  CHECK_THAT(load_error(elf_header(here, ELFCLASS64, ET_REL)),
             Equals("it is an object file, not a shared library"));
  CHECK_THAT(load_error(elf_header(here, ELFCLASS64, ET_EXEC)),
             Equals("it is a program, not a shared library"));
  // A header whose program headers lie past its end: truncated, not mapped.
  CHECK_THAT(load_error(elf_header(here)), Equals("it is truncated (64 of 120 bytes)"));
  CHECK_THAT(load_error({'#', '!', '/', 'b', 'i', 'n'}),
             Equals("it is not a shared library (no ELF header)"));
}

}  // namespace
}  // namespace lockstep::test
