# Compiles one file against lockstep's public headers (syntax only, warnings as errors) and checks
# the outcome: with EXPECT_ERROR, the compile must fail with exactly one error whose text contains
# EXPECT_ERROR (a static_assert, not a cascade from the standard library); without it, the
# compile must succeed.
#
#   cmake -DCXX=... -DINCLUDE_DIR=... -DSOURCE=... [-DEXPECT_ERROR=text] -P check_compile.cmake
foreach(var CXX INCLUDE_DIR SOURCE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_compile.cmake needs -D${var}=...")
  endif()
endforeach()

execute_process(
  COMMAND "${CXX}" -std=c++20 -Wall -Wextra -Wpedantic -Werror -fsyntax-only
          "-I${INCLUDE_DIR}" "${SOURCE}"
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)

if(NOT DEFINED EXPECT_ERROR OR EXPECT_ERROR STREQUAL "")
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${SOURCE} should compile, but:\n${output}")
  endif()
  return()
endif()

if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} should not compile, but it did")
endif()
string(FIND "${output}" "${EXPECT_ERROR}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the compiler's errors do not say\n  ${EXPECT_ERROR}\nthey are:\n${output}")
endif()
string(REGEX MATCHALL "error:" errors "${output}")
list(LENGTH errors error_count)
if(NOT error_count EQUAL 1)
  message(FATAL_ERROR "expected exactly one error, got ${error_count}:\n${output}")
endif()
