# ctest's out_of_tree.plugin: configures the wordcount project (a plugin and its driver) against
# lockstep twice, once through the build tree and once through an install into a scratch prefix,
# builds it, and runs the driver, which loads the plugin and runs one of its jobs.
# Run with: cmake -DLOCKSTEP_BINARY_DIR=... -DWORK_DIR=... -DGENERATOR=... -DCXX_COMPILER=...
#                 -DCXX_FLAGS=... -DBUILD_TYPE=... -P check.cmake
foreach(var IN ITEMS LOCKSTEP_BINARY_DIR WORK_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check.cmake: -D${var}=... is required")
  endif()
endforeach()

# `lockstep_root` is where the driver must find the core plugin: lib/lockstep/ of the tree it uses.
function(build_and_run name lockstep_dir lockstep_root)
  set(dir "${WORK_DIR}/${name}")
  file(REMOVE_RECURSE "${dir}")
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${CMAKE_CURRENT_LIST_DIR}/wordcount" -B "${dir}"
            -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
            "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}"
            "-Dlockstep_DIR=${lockstep_dir}"
    COMMAND_ERROR_IS_FATAL ANY)
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${dir}" COMMAND_ERROR_IS_FATAL ANY)
  # The plugin's file name is what the loader looks for by name.
  if(NOT EXISTS "${dir}/lockstep-wordcount.so")
    message(FATAL_ERROR "${name}: lockstep_add_plugin(wordcount) made no ${dir}/lockstep-wordcount.so")
  endif()
  execute_process(COMMAND "${dir}/driver" OUTPUT_VARIABLE output COMMAND_ERROR_IS_FATAL ANY)
  message(STATUS "${name}:\n${output}")
  file(REAL_PATH "${lockstep_root}/lib/lockstep/lockstep-core.so" core)
  string(FIND "${output}" "core is loaded too, from ${core}\n" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${name}: the driver did not load core from ${core}")
  endif()
endfunction()

build_and_run(from-build-tree "${LOCKSTEP_BINARY_DIR}" "${LOCKSTEP_BINARY_DIR}")

set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${prefix}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${LOCKSTEP_BINARY_DIR}" --prefix "${prefix}"
                OUTPUT_QUIET COMMAND_ERROR_IS_FATAL ANY)
foreach(file IN ITEMS lib/cmake/lockstep/LockstepPlugin.cmake lib/lockstep/lockstep-core.so)
  if(NOT EXISTS "${prefix}/${file}")
    message(FATAL_ERROR "the install has no ${file}")
  endif()
endforeach()
build_and_run(from-install "${prefix}/lib/cmake/lockstep" "${prefix}")
