# cmake/LockstepPlugin.cmake — lockstep_add_plugin(): one CMake line from sources to a plugin.
#
#   lockstep_add_plugin(<name> SOURCES a.cpp b.cpp... [LINK_LIBRARIES libs...]
#                       [OUTPUT_DIRECTORY dir])
#
# Makes the MODULE library target `lockstep-plugin-<name>`, built as `lockstep-<name>.so`: the file
# name under which `lockstep` and PluginLoader find a plugin called <name>. It compiles as C++20
# with hidden visibility (a plugin exports nothing but its manifest, so plugins never clash with
# each other or with the program) and links lockstep::framework.
#
# Inside the lockstep build the file goes to lib/lockstep/ next to liblockstep, where the loader
# looks, and installs to lib/lockstep/ (unless OUTPUT_DIRECTORY sends it elsewhere). Anywhere else
# (after find_package(lockstep CONFIG)) it goes to OUTPUT_DIRECTORY, or to the current binary
# directory; installing it is up to the project.
# This file ships with the package config, so the function is the same from a build tree and an
# install.
include_guard(GLOBAL)

function(lockstep_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "OUTPUT_DIRECTORY" "SOURCES;LINK_LIBRARIES")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "lockstep_add_plugin(${name}): unexpected arguments "
                        "'${arg_UNPARSED_ARGUMENTS}' (it takes SOURCES, LINK_LIBRARIES and "
                        "OUTPUT_DIRECTORY)")
  endif()
  # The name is the prefix of the plugin's job types ("<name>.<type>") and must match the one
  # given to LOCKSTEP_PLUGIN in the code.
  if(NOT name MATCHES "^[a-z0-9_]+$")
    message(FATAL_ERROR "lockstep_add_plugin(${name}): a plugin name is lowercase letters, digits "
                        "and '_'")
  endif()
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "lockstep_add_plugin(${name}): SOURCES is required")
  endif()
  if(NOT TARGET lockstep::framework)
    message(FATAL_ERROR "lockstep_add_plugin(${name}): lockstep::framework is not defined; call "
                        "find_package(lockstep CONFIG REQUIRED) first")
  endif()

  set(target lockstep-plugin-${name})
  add_library(${target} MODULE ${arg_SOURCES})
  target_link_libraries(${target} PRIVATE lockstep::framework ${arg_LINK_LIBRARIES})
  target_compile_features(${target} PRIVATE cxx_std_20)
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME lockstep-${name}
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)

  # lockstep_framework is the real target of the lockstep build; a consumer only has the imported
  # lockstep::framework. Plugins of the lockstep build go where the loader looks and are installed;
  # one with an OUTPUT_DIRECTORY (a test fixture, say) is neither found by name nor installed.
  if(TARGET lockstep_framework AND NOT arg_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY "${lockstep_BINARY_DIR}/${LOCKSTEP_PLUGIN_SUBDIR}"
      INSTALL_RPATH "$ORIGIN/..")  # liblockstep is one directory up, in build and install trees
    install(TARGETS ${target} LIBRARY DESTINATION "${LOCKSTEP_PLUGIN_SUBDIR}" COMPONENT runtime)
  else()
    if(NOT arg_OUTPUT_DIRECTORY)
      set(arg_OUTPUT_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
    endif()
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${arg_OUTPUT_DIRECTORY}")
  endif()
endfunction()
