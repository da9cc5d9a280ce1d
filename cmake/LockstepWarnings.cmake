# lockstep_set_warnings(<target>): the project's warning flags for code we own.
function(lockstep_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 at -O3 reports -Wrestrict for `"literal" + std::string` (GCC bug 105651).
    target_compile_options(${target} PRIVATE -Wno-restrict)
    # GCC 12 at -O2 and above reports -Wmaybe-uninitialized for values held in std::optional
    # that are only read once engaged (GCC bug 80635); clang's analysis of the same code is
    # sound and stays on in the fuzzing build.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
  get_target_property(unity ${target} UNITY_BUILD)
  if(unity AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # A unity build (the sanitizer presets) #includes the .cpp files into one, and GCC then takes a
    # class of a .cpp (a pimpl's Impl) whose members use that file's anonymous namespace for one of
    # a header. The warning stays on in the other builds, where a .cpp is a .cpp.
    target_compile_options(${target} PRIVATE -Wno-subobject-linkage)
  endif()
  if(LOCKSTEP_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
