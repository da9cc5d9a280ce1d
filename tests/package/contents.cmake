# ctest's package.contents: what the unpacked packages of build_and_unpack.cmake hold, and what
# they depend on. `lockstep` must hold the command, the library and every plugin the build made
# (whatever is in lib/lockstep/ of the build tree); `lockstep-dev` every public header and the
# CMake package; and each must name the packages it needs.
# Run with: cmake -DBINARY_DIR=... -DSOURCE_DIR=... -DVERSION=... -DDPKG_DEB=... -DSCRATCH=...
#                 -P contents.cmake
cmake_minimum_required(VERSION 3.25)

foreach(var IN ITEMS BINARY_DIR SOURCE_DIR VERSION DPKG_DEB SCRATCH)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "contents.cmake: -D${var}=... is required")
  endif()
endforeach()

set(failures "")

# expect_files(<package> <path under usr/>...)
function(expect_files package)
  foreach(file IN LISTS ARGN)
    set(path "${SCRATCH}/${package}/usr/${file}")
    if(NOT EXISTS "${path}" AND NOT IS_SYMLINK "${path}")
      string(APPEND failures "  - ${package} has no /usr/${file}\n")
    endif()
  endforeach()
  set(failures "${failures}" PARENT_SCOPE)
endfunction()

# expect_depends(<package> <regex>...): its Depends field matches every regex.
function(expect_depends package)
  file(GLOB deb "${BINARY_DIR}/${package}_${VERSION}_*.deb")
  execute_process(COMMAND "${DPKG_DEB}" -f "${deb}" Depends OUTPUT_VARIABLE depends
                  COMMAND_ERROR_IS_FATAL ANY)
  string(STRIP "${depends}" depends)
  message(STATUS "${package} Depends: ${depends}")
  if(depends STREQUAL "")
    string(APPEND failures "  - ${package} has no Depends\n")
  endif()
  foreach(regex IN LISTS ARGN)
    if(NOT depends MATCHES "${regex}")
      string(APPEND failures "  - ${package} Depends does not match ${regex}\n")
    endif()
  endforeach()
  set(failures "${failures}" PARENT_SCOPE)
endfunction()

# expect_no_depends(<package> <regex>): its Depends field does not match.
function(expect_no_depends package regex)
  file(GLOB deb "${BINARY_DIR}/${package}_${VERSION}_*.deb")
  execute_process(COMMAND "${DPKG_DEB}" -f "${deb}" Depends OUTPUT_VARIABLE depends
                  COMMAND_ERROR_IS_FATAL ANY)
  if(depends MATCHES "${regex}")
    string(APPEND failures "  - ${package} Depends matches ${regex}: ${depends}\n")
  endif()
  set(failures "${failures}" PARENT_SCOPE)
endfunction()

file(GLOB plugins RELATIVE "${BINARY_DIR}" "${BINARY_DIR}/lib/lockstep/*.so")
if(NOT plugins)
  string(APPEND failures "  - the build tree has no plugins in ${BINARY_DIR}/lib/lockstep\n")
endif()
string(REGEX MATCH "^[0-9]+\\.[0-9]+" soversion "${VERSION}")
expect_files(lockstep bin/lockstep lib/liblockstep.so.${soversion}
             lib/liblockstep-engine.so.${soversion} ${plugins})
expect_depends(lockstep "(^|, )libtbb" "(^|, )libyaml-cpp" "(^|, )libboost-filesystem"
               "(^|, )libstdc\\+\\+6" "(^|, )libc6")

# Open MPI only with the MPI backend, in a package of its own.
expect_no_depends(lockstep "(^|, )libopenmpi")
if(EXISTS "${BINARY_DIR}/lib/liblockstep-mpi.so")
  string(REPLACE "." "\\." version_re "${VERSION}")
  expect_files(lockstep-mpi lib/liblockstep-mpi.so)
  expect_depends(lockstep-mpi "(^|, )lockstep \\(= ${version_re}\\)" "(^|, )libopenmpi")
endif()

file(GLOB_RECURSE headers RELATIVE "${SOURCE_DIR}/framework/include"
     "${SOURCE_DIR}/framework/include/*.hpp")
list(TRANSFORM headers PREPEND include/)
set(cmake_package lockstepConfig.cmake lockstepConfigVersion.cmake lockstepTargets.cmake
                  LockstepPlugin.cmake)
list(TRANSFORM cmake_package PREPEND lib/cmake/lockstep/)
expect_files(lockstep-dev lib/liblockstep.so lib/liblockstep-engine.so ${headers}
             ${cmake_package})
string(REPLACE "." "\\." version_re "${VERSION}")
expect_depends(lockstep-dev "(^|, )lockstep \\(= ${version_re}\\)")

# Each file in one package only: dpkg refuses to install two packages that share a file.
file(GLOB_RECURSE runtime_files LIST_DIRECTORIES false RELATIVE "${SCRATCH}/lockstep"
     "${SCRATCH}/lockstep/*")
file(GLOB_RECURSE dev_files LIST_DIRECTORIES false RELATIVE "${SCRATCH}/lockstep-dev"
     "${SCRATCH}/lockstep-dev/*")
foreach(file IN LISTS runtime_files)
  if(file IN_LIST dev_files)
    string(APPEND failures "  - both packages hold /${file}\n")
  endif()
endforeach()

if(NOT failures STREQUAL "")
  message(FATAL_ERROR "the packages are wrong:\n${failures}")
endif()
