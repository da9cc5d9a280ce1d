// tools/cli/mpi_ranks.hpp — `lockstep run` as one of several MPI ranks (docs/scale-out.md).
//
//   std::unique_ptr<MpiRanks> ranks;
//   if (launched_ranks() > 1) ranks = MpiRanks::start(error);   // loads liblockstep-mpi
//   Cluster* cluster = ranks ? &ranks->cluster() : nullptr;   // RunOptions::cluster
//   ...                                                        // ~MpiRanks: MPI_Finalize
//
// The backend is a library of its own, dlopened only here: a run that was not launched by mpirun
// or srun with more than one rank neither loads MPI nor pays for it.
#pragma once

#include <memory>
#include <string>

#include "lockstep/pipeline/cluster.hpp"

namespace lockstep::cli {

// How many ranks the launcher started, from the environment it gives each (Open MPI's mpirun,
// a PMI or PMIx launcher such as srun); 1 when not launched by one.
int launched_ranks();

// "MPI: available (liblockstep-mpi, Open MPI v4.1.4)", or "MPI: not built": for --version,
// without initializing MPI.
std::string mpi_version_line();

class MpiRanks {
 public:
  // Loads the backend and initializes MPI; null with `error` set when either fails.
  static std::unique_ptr<MpiRanks> start(std::string& error);
  ~MpiRanks();  // every rank: a barrier, then MPI_Finalize
  MpiRanks(const MpiRanks&) = delete;
  MpiRanks& operator=(const MpiRanks&) = delete;

  Cluster& cluster() noexcept { return *cluster_; }

 private:
  using Stop = void (*)(Cluster*);
  MpiRanks(Cluster* cluster, Stop stop) : cluster_(cluster), stop_(stop) {}

  Cluster* cluster_;
  Stop stop_;
};

}  // namespace lockstep::cli
