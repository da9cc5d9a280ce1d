# configs/examples/quickstart: every message is logged, `goodbye` only after the whole `hello`
# stage (the barrier), the summary counts 4 + 1 instances, and the run wrote nothing where it ran
# but its run directory of logs (.lockstep/runs/quickstart-TIME-PID), one file per job instance.

set(hello_lines
  "[hello/greet] info: hello, world"
  "[hello/fruit[0]] info: fruit #0: apple"
  "[hello/fruit[1]] info: fruit #1: banana"
  "[hello/fruit[2]] info: fruit #2: cherry")
set(goodbye_line "[goodbye/bye] info: goodbye, world")

string(FIND "${err}" "${goodbye_line}\n" goodbye_at)
if(goodbye_at EQUAL -1)
  fail("no log line '${goodbye_line}'")
endif()
foreach(line IN LISTS hello_lines)
  string(FIND "${err}" "${line}\n" at)
  if(at EQUAL -1)
    fail("no log line '${line}'")
  elseif(goodbye_at GREATER -1 AND at GREATER goodbye_at)
    fail("'${line}' was logged after '${goodbye_line}': the next stage started before the barrier")
  endif()
endforeach()

expect_summary(hello succeeded "4 succeeded")
expect_summary(goodbye succeeded "1 succeeded")
expect_summary(total succeeded "5 succeeded")

if(NOT err MATCHES "\nlogs: (\\.lockstep/runs/quickstart-[0-9T]+-[0-9]+)\n")
  fail("no line 'logs: .lockstep/runs/quickstart-TIME-PID'")
else()
  set(logs "${CMAKE_MATCH_1}")
  foreach(job IN ITEMS hello/greet.log hello/fruit.log hello/fruit.0.log hello/fruit.2.log
                      goodbye/bye.log)
    if(NOT EXISTS "${RUN_DIR}/${logs}/jobs/${job}")
      fail("no log file ${logs}/jobs/${job}")
    endif()
  endforeach()
  file(READ "${RUN_DIR}/${logs}/jobs/hello/greet.log" greet_log)
  if(NOT greet_log STREQUAL "hello, world\n")
    fail("${logs}/jobs/hello/greet.log is '${greet_log}', not 'hello, world'")
  endif()
  file(REMOVE_RECURSE "${RUN_DIR}/.lockstep")
endif()
file(GLOB_RECURSE written RELATIVE "${RUN_DIR}" "${RUN_DIR}/*")
if(written)
  list(JOIN written ", " written)
  fail("quickstart must write nothing but its logs, but these appeared where it ran: ${written}")
endif()
