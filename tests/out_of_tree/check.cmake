# ctest's out_of_tree.plugin and out_of_tree.stage_kind: configure a separate project (PROJECT:
# wordcount, a plugin with a job type; replicas, a plugin with a stage kind; each with a driver)
# against lockstep twice, once through the build tree and once through an install into a scratch
# prefix, build it, and run its driver, which must succeed. With CHECK_CORE, the driver also says
# where it loaded the core plugin from, which must be lib/lockstep/ of the tree it used.
# Run with: cmake -DPROJECT=... -DLOCKSTEP_BINARY_DIR=... -DWORK_DIR=... -DGENERATOR=...
#                 -DCXX_COMPILER=... -DCXX_FLAGS=... -DBUILD_TYPE=... [-DCHECK_CORE=ON] -P check.cmake
foreach(var IN ITEMS PROJECT LOCKSTEP_BINARY_DIR WORK_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check.cmake: -D${var}=... is required")
  endif()
endforeach()

# `lockstep_root` is where the driver must find the core plugin: lib/lockstep/ of the tree it uses.
function(build_and_run name lockstep_dir lockstep_root)
  set(dir "${WORK_DIR}/${PROJECT}/${name}")
  file(REMOVE_RECURSE "${dir}")
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${CMAKE_CURRENT_LIST_DIR}/${PROJECT}" -B "${dir}"
            -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
            "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}"
            "-Dlockstep_DIR=${lockstep_dir}"
    COMMAND_ERROR_IS_FATAL ANY)
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${dir}" COMMAND_ERROR_IS_FATAL ANY)
  # The plugin's file name is what the loader looks for by name.
  if(NOT EXISTS "${dir}/lockstep-${PROJECT}.so")
    message(FATAL_ERROR
            "${name}: lockstep_add_plugin(${PROJECT}) made no ${dir}/lockstep-${PROJECT}.so")
  endif()
  execute_process(COMMAND "${dir}/driver" OUTPUT_VARIABLE output ERROR_VARIABLE errors
                  RESULT_VARIABLE status)
  message(STATUS "${name}:\n${output}")
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${name}: the driver exited with ${status}:\n${errors}")
  endif()
  if(NOT CHECK_CORE)
    return()
  endif()
  file(REAL_PATH "${lockstep_root}/lib/lockstep/lockstep-core.so" core)
  string(FIND "${output}" "core is loaded too, from ${core}\n" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${name}: the driver did not load core from ${core}")
  endif()
endfunction()

build_and_run(from-build-tree "${LOCKSTEP_BINARY_DIR}" "${LOCKSTEP_BINARY_DIR}")

set(prefix "${WORK_DIR}/${PROJECT}/prefix")
file(REMOVE_RECURSE "${prefix}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${LOCKSTEP_BINARY_DIR}" --prefix "${prefix}"
                OUTPUT_QUIET COMMAND_ERROR_IS_FATAL ANY)
foreach(file IN ITEMS lib/cmake/lockstep/LockstepPlugin.cmake lib/lockstep/lockstep-core.so)
  if(NOT EXISTS "${prefix}/${file}")
    message(FATAL_ERROR "the install has no ${file}")
  endif()
endforeach()
build_and_run(from-install "${prefix}/lib/cmake/lockstep" "${prefix}")
