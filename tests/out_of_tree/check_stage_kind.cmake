# ctest's out_of_tree.stage_kind: configures the replicas project (a plugin with a stage kind, and
# its driver) against lockstep twice, once through the build tree and once through an install
# into a scratch prefix, builds it, and runs the driver, which runs a pipeline of that kind.
# Run with: cmake -DLOCKSTEP_BINARY_DIR=... -DWORK_DIR=... -DGENERATOR=... -DCXX_COMPILER=...
#                 -DCXX_FLAGS=... -DBUILD_TYPE=... -P check_stage_kind.cmake
foreach(var IN ITEMS LOCKSTEP_BINARY_DIR WORK_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_stage_kind.cmake: -D${var}=... is required")
  endif()
endforeach()

function(build_and_run name lockstep_dir)
  set(dir "${WORK_DIR}/${name}")
  file(REMOVE_RECURSE "${dir}")
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${CMAKE_CURRENT_LIST_DIR}/replicas" -B "${dir}"
            -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
            "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}"
            "-Dlockstep_DIR=${lockstep_dir}"
    COMMAND_ERROR_IS_FATAL ANY)
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${dir}" COMMAND_ERROR_IS_FATAL ANY)
  if(NOT EXISTS "${dir}/lockstep-replicas.so")
    message(FATAL_ERROR "${name}: lockstep_add_plugin(replicas) made no ${dir}/lockstep-replicas.so")
  endif()
  execute_process(COMMAND "${dir}/driver" OUTPUT_VARIABLE output ERROR_VARIABLE errors
                  RESULT_VARIABLE status)
  message(STATUS "${name}:\n${output}")
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${name}: the driver exited with ${status}:\n${errors}")
  endif()
endfunction()

build_and_run(from-build-tree "${LOCKSTEP_BINARY_DIR}")

set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${prefix}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${LOCKSTEP_BINARY_DIR}" --prefix "${prefix}"
                OUTPUT_QUIET COMMAND_ERROR_IS_FATAL ANY)
build_and_run(from-install "${prefix}/lib/cmake/lockstep")
