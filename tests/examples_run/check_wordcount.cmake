# configs/examples/wordcount: the map stage counted each of the 4 texts into its own .counts file,
# and the reduce stage's words.tsv is byte for byte expected.tsv.

cmake_path(ABSOLUTE_PATH PIPELINE BASE_DIRECTORY "${RUN_DIR}" OUTPUT_VARIABLE pipeline_file)
cmake_path(GET pipeline_file PARENT_PATH example_dir)
foreach(text IN ITEMS clock lighthouse orchard river)
  if(NOT EXISTS "${WORK}/counts/${text}.counts")
    fail("the map stage did not write counts/${text}.counts")
  endif()
endforeach()

set(result "${WORK}/words.tsv")
if(NOT EXISTS "${result}")
  fail("the reduce stage did not write ${result}")
else()
  execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${result}"
                          "${example_dir}/expected.tsv"
                  RESULT_VARIABLE different)
  if(different)
    fail("${result} differs from configs/examples/wordcount/expected.tsv")
  endif()
endif()

expect_summary(map succeeded "4 succeeded")
expect_summary(reduce succeeded "1 succeeded")
expect_summary(total succeeded "5 succeeded")
