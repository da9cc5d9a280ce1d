#include "mpi_ranks.hpp"

#include <dlfcn.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "lockstep/pipeline/plugin_loader.hpp"

namespace lockstep::cli {

namespace {

constexpr const char* kBackend = "liblockstep-mpi.so";

int number_in(const char* variable) {
  const char* text = std::getenv(variable);
  if (text == nullptr) return 0;
  int value = 0;
  const std::string_view view(text);
  const auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), value);
  return error == std::errc{} && end == view.data() + view.size() ? value : 0;
}

// The backend: next to liblockstep (lib/ in the build and install trees), else wherever the
// dynamic loader finds it. RTLD_GLOBAL: Open MPI's own components, which it dlopens, resolve
// libmpi's symbols through the global scope.
void* open_backend(std::string& error) {
  const auto dir = PluginLoader::bundled_dir();
  if (!dir.empty()) {
    const auto beside = dir.parent_path() / kBackend;
    std::error_code missing;
    if (std::filesystem::exists(beside, missing)) {
      if (void* library = ::dlopen(beside.c_str(), RTLD_NOW | RTLD_GLOBAL)) return library;
      error = ::dlerror();
      return nullptr;
    }
  }
  if (void* library = ::dlopen(kBackend, RTLD_NOW | RTLD_GLOBAL)) return library;
  error = ::dlerror();
  return nullptr;
}

}  // namespace

int launched_ranks() {
  // Open MPI's mpirun says so itself; another launcher through PMI or PMIx (MPICH's hydra,
  // Slurm's srun --mpi=pmi2|pmix), its size in PMI_SIZE or Slurm's step.
  if (const int size = number_in("OMPI_COMM_WORLD_SIZE"); size > 0) return size;
  if (std::getenv("PMIX_RANK") != nullptr || std::getenv("PMI_RANK") != nullptr) {
    for (const char* variable : {"PMI_SIZE", "SLURM_STEP_NUM_TASKS", "SLURM_NTASKS"}) {
      if (const int size = number_in(variable); size > 0) return size;
    }
  }
  // A task of an srun step of several tasks, even without PMI (srun --mpi=none): MPI must then
  // see them all, or each task would run the whole pipeline (run_command.cpp refuses that).
  if (std::getenv("SLURM_PROCID") != nullptr) {
    if (const int size = number_in("SLURM_STEP_NUM_TASKS"); size > 0) return size;
  }
  return 1;
}

std::string mpi_version_line() {
  std::string error;
  void* library = open_backend(error);
  if (library == nullptr && error.find("cannot open shared object file") != std::string::npos) {
    return "MPI: not built";
  }
  if (library == nullptr) return "MPI: not available (" + error + ")";
  using Version = void (*)(char*, std::size_t);
  auto* version = reinterpret_cast<Version>(::dlsym(library, "lockstep_mpi_version"));
  if (version == nullptr) return "MPI: not available (liblockstep-mpi has no version)";
  char text[256] = {};
  version(text, sizeof text);
  return std::string("MPI: available (liblockstep-mpi, ") + text + ")";
}

std::unique_ptr<MpiRanks> MpiRanks::start(std::string& error) {
  void* library = open_backend(error);
  if (library == nullptr) {
    error = "launched as one of " + std::to_string(launched_ranks()) +
            " MPI ranks, but the MPI backend could not be loaded: " + error;
    return nullptr;
  }
  using Start = Cluster* (*)(char*, std::size_t);
  auto* start = reinterpret_cast<Start>(::dlsym(library, "lockstep_mpi_start"));
  auto* stop = reinterpret_cast<Stop>(::dlsym(library, "lockstep_mpi_stop"));
  if (start == nullptr || stop == nullptr) {
    error = std::string("the MPI backend lacks its entry points: ") + kBackend;
    return nullptr;
  }
  char why[256] = {};
  Cluster* cluster = start(why, sizeof why);
  if (cluster == nullptr) {
    error = std::string("MPI: ") + why;
    return nullptr;
  }
  return std::unique_ptr<MpiRanks>(new MpiRanks(cluster, stop));
}

// The library stays loaded: MPI may have threads of its own until the process ends.
MpiRanks::~MpiRanks() { stop_(cluster_); }

}  // namespace lockstep::cli
