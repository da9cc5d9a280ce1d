# cmake/LockstepPackage.cmake — Debian packages of lockstep, made by CPack:
#
#   cmake --build build/release --target package
#
# writes two packages into the build tree, one per install component (see LockstepInstall.cmake):
#   lockstep_<version>_<arch>.deb       the `lockstep` command, liblockstep and the plugins: all a
#                                       pipeline user needs; its Depends come from dpkg-shlibdeps.
#   lockstep-dev_<version>_<arch>.deb   headers and the CMake package, for embedders and plugin
#                                       authors; it depends on the exact lockstep (no public header
#                                       includes oneTBB, Boost or yaml-cpp).
#   lockstep-mpi_<version>_<arch>.deb   the MPI backend (liblockstep-mpi, docs/scale-out.md), when
#                                       the build found MPI: the exact lockstep and Open MPI.
# Split so that running pipelines never installs headers.
# Included from the top CMakeLists.txt, after every install() rule, and only when lockstep is the
# top-level project: a project that embeds lockstep's sources packages itself.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lockstep)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "The lockstep developers")
# The build tree mirrors the install tree (bin/, lib/, lib/lockstep/), so the RPATH $ORIGIN/../lib
# of the command and $ORIGIN/.. of the plugins hold under /usr as they do in the build tree.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # <name>_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION devel)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME lockstep)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION utils)
# dpkg-shlibdeps reads what every ELF file needs (libtbb12, libyaml-cpp0.7, Boost.Filesystem, ...)
# and names the packages that provide it; liblockstep itself ships in this package.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
# Without it CPack would quietly write a package with no Depends at all.
find_program(LOCKSTEP_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(NOT LOCKSTEP_DPKG_SHLIBDEPS)
  message(WARNING "lockstep: no dpkg-shlibdeps (package dpkg-dev): the lockstep .deb would have no "
                  "Depends; tools/install-deps installs it")
endif()

set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME lockstep-dev)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS
    "lockstep (= ${PROJECT_VERSION})")
# What a plugin author builds with: lockstep_add_plugin() is CMake, the API is C++20.
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_RECOMMENDS "cmake (>= 3.25), g++ (>= 12)")

set(CPACK_DEBIAN_MPI_PACKAGE_NAME lockstep-mpi)
set(CPACK_DEBIAN_MPI_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_MPI_PACKAGE_SHLIBDEPS ON)  # the MPI library's package
set(CPACK_DEBIAN_MPI_PACKAGE_DEPENDS "lockstep (= ${PROJECT_VERSION})")
# liblockstep, which the backend links, is lockstep's (above), not a package of the system.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${PROJECT_BINARY_DIR}/${LOCKSTEP_LIBDIR}")

include(CPack)
cpack_add_component(runtime DISPLAY_NAME "lockstep"
  DESCRIPTION "The lockstep command, its library and the core, examples and stages plugins")
if(TARGET lockstep_mpi)
  cpack_add_component(mpi DISPLAY_NAME "lockstep-mpi" DEPENDS runtime
    DESCRIPTION "The MPI backend: lockstep run across the ranks of mpirun or srun")
endif()
cpack_add_component(development DISPLAY_NAME "lockstep-dev" DEPENDS runtime
  DESCRIPTION "Headers and the CMake package (find_package(lockstep), lockstep_add_plugin)")
