# ctest's example.find_package: builds and runs this consumer against lockstep twice, once through
# the build tree and once through an install into a scratch prefix, to prove the two equivalent.
# Run with: cmake -DLOCKSTEP_BINARY_DIR=... -DWORK_DIR=... -DGENERATOR=... -DCXX_COMPILER=...
#                 -DCXX_FLAGS=... -DBUILD_TYPE=... -P check.cmake
foreach(var IN ITEMS LOCKSTEP_BINARY_DIR WORK_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check.cmake: -D${var}=... is required")
  endif()
endforeach()

function(build_and_run name lockstep_dir)
  set(dir "${WORK_DIR}/${name}")
  file(REMOVE_RECURSE "${dir}")
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${CMAKE_CURRENT_LIST_DIR}" -B "${dir}" -G "${GENERATOR}"
            "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
            "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}" "-Dlockstep_DIR=${lockstep_dir}"
    COMMAND_ERROR_IS_FATAL ANY)
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${dir}" COMMAND_ERROR_IS_FATAL ANY)
  execute_process(COMMAND "${dir}/consumer" COMMAND_ERROR_IS_FATAL ANY)
  # An engine-only program needs liblockstep-engine, and neither yaml-cpp, Boost nor liblockstep.
  execute_process(COMMAND readelf -d "${dir}/consumer" OUTPUT_VARIABLE dynamic
                  COMMAND_ERROR_IS_FATAL ANY)
  if(NOT dynamic MATCHES "NEEDED[^\n]*liblockstep-engine\\.so")
    message(FATAL_ERROR "${name}: consumer does not link liblockstep-engine:\n${dynamic}")
  endif()
  if(dynamic MATCHES "NEEDED[^\n]*(libyaml-cpp|libboost|liblockstep\\.so)")
    message(FATAL_ERROR "${name}: an engine-only program links ${CMAKE_MATCH_1}:\n${dynamic}")
  endif()
endfunction()

build_and_run(from-build-tree "${LOCKSTEP_BINARY_DIR}")

set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${prefix}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${LOCKSTEP_BINARY_DIR}" --prefix "${prefix}"
                OUTPUT_QUIET COMMAND_ERROR_IS_FATAL ANY)
build_and_run(from-install "${prefix}/lib/cmake/lockstep")
