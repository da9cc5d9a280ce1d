# ctest's package.build: builds the `package` target of a lockstep build tree, then unpacks each
# package it wrote (lockstep_<version>_<arch>.deb, lockstep-dev_...) into SCRATCH/<package>/,
# emptied first, where the other package tests look.
# Run with: cmake -DBINARY_DIR=... -DCONFIG=... -DVERSION=... -DDPKG_DEB=... -DSCRATCH=...
#                 -P build_and_unpack.cmake
cmake_minimum_required(VERSION 3.25)

foreach(var IN ITEMS BINARY_DIR VERSION DPKG_DEB SCRATCH)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "build_and_unpack.cmake: -D${var}=... is required")
  endif()
endforeach()

set(config "")
if(CONFIG)
  set(config --config "${CONFIG}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BINARY_DIR}" ${config} --target package
                COMMAND_ERROR_IS_FATAL ANY)

file(REMOVE_RECURSE "${SCRATCH}")
set(packages lockstep lockstep-dev)
if(EXISTS "${BINARY_DIR}/lib/liblockstep-mpi.so")  # the build found MPI
  list(APPEND packages lockstep-mpi)
endif()
foreach(package IN LISTS packages)
  file(GLOB deb "${BINARY_DIR}/${package}_${VERSION}_*.deb")
  list(LENGTH deb count)
  if(NOT count EQUAL 1)
    message(FATAL_ERROR "expected one ${package}_${VERSION}_<arch>.deb in ${BINARY_DIR}, "
                        "found ${count}: ${deb}")
  endif()
  file(MAKE_DIRECTORY "${SCRATCH}/${package}")
  execute_process(COMMAND "${DPKG_DEB}" -x "${deb}" "${SCRATCH}/${package}"
                  COMMAND_ERROR_IS_FATAL ANY)
  message(STATUS "unpacked ${deb}")
endforeach()
