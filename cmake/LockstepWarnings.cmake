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
  if(LOCKSTEP_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
