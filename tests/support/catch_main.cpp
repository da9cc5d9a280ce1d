// Catch2 v2's runner, compiled once (lockstep_catch_main) for every test program.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
