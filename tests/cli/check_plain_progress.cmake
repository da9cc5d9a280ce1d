# tests/cli/check_plain_progress.cmake — included by expect.cmake for `lockstep run` with stderr
# not a terminal: progress lines, if any, are whole lines without a carriage return or an escape
# sequence. Inputs: err; reports through fail().

string(ASCII 13 carriage_return)
string(ASCII 27 escape)
if(err MATCHES "[${carriage_return}${escape}]")
  fail("stderr holds a carriage return or an escape sequence: progress painted for a terminal")
endif()
