# cmake/LockstepInstall.cmake — install rules and the package config behind find_package(lockstep).
#
# Like fmt, the package works the same from an install prefix and from a build tree:
#   cmake -Dlockstep_DIR=<prefix>/lib/cmake/lockstep ...   or   cmake -Dlockstep_DIR=<build dir> ...
# then `find_package(lockstep CONFIG REQUIRED)` and `target_link_libraries(app lockstep::framework)`,
# or `lockstep_add_plugin(<name> SOURCES ...)` for a plugin. Plugins of this build install
# themselves to lib/lockstep/ (see LockstepPlugin.cmake).
#
# Two install components, one per audience (and per Debian package, see LockstepPackage.cmake):
# `runtime` is what runs pipelines (the command, the library, the plugins); `development` is what
# builds against lockstep (headers, the unversioned liblockstep.so link, the CMake package).
include(CMakePackageConfigHelpers)

set(LOCKSTEP_CMAKE_DIR "${LOCKSTEP_LIBDIR}/cmake/lockstep")

install(TARGETS lockstep_engine lockstep_framework EXPORT lockstepTargets
  LIBRARY DESTINATION "${LOCKSTEP_LIBDIR}" COMPONENT runtime NAMELINK_COMPONENT development
  ARCHIVE DESTINATION "${LOCKSTEP_LIBDIR}" COMPONENT development
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT runtime
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/framework/include/"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" COMPONENT development
  FILES_MATCHING PATTERN "*.hpp")

# The installed targets file, and its twin in the build tree.
install(EXPORT lockstepTargets NAMESPACE lockstep:: DESTINATION "${LOCKSTEP_CMAKE_DIR}"
  COMPONENT development)
export(EXPORT lockstepTargets NAMESPACE lockstep::
  FILE "${PROJECT_BINARY_DIR}/lockstepTargets.cmake")

# One config file serves both trees: it finds its targets file beside itself.
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/lockstepConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/lockstepConfig.cmake"
  INSTALL_DESTINATION "${LOCKSTEP_CMAKE_DIR}"
  NO_SET_AND_CHECK_MACRO)
# While lockstep is 0.x, a minor release may break the API and the ABI (the library's soname is
# liblockstep.so.0.<minor>), so find_package(lockstep 0.2) must not accept 0.3. From 1.0 on this
# becomes SameMajorVersion.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/lockstepConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion)
# lockstep_add_plugin() travels with the config, which includes it from beside itself.
configure_file("${PROJECT_SOURCE_DIR}/cmake/LockstepPlugin.cmake"
  "${PROJECT_BINARY_DIR}/LockstepPlugin.cmake" COPYONLY)
install(FILES "${PROJECT_BINARY_DIR}/lockstepConfig.cmake"
              "${PROJECT_BINARY_DIR}/lockstepConfigVersion.cmake"
              "${PROJECT_BINARY_DIR}/LockstepPlugin.cmake"
  DESTINATION "${LOCKSTEP_CMAKE_DIR}" COMPONENT development)
