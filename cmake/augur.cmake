# Helpers shared by the module CMakeLists.

# augur_add_test(NAME SOURCES a_test.cc ... DEPS lib ...): a GoogleTest binary run by ctest.
function(augur_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(AUGUR_FUZZ)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 300)
endfunction()

# augur_add_fuzzer(NAME SOURCE x_fuzz.cc DEPS lib ...): a libFuzzer target, built when AUGUR_FUZZ.
function(augur_add_fuzzer name)
  cmake_parse_arguments(ARG "" "SOURCE" "DEPS" ${ARGN})
  if(NOT AUGUR_FUZZ)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCE})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  # The libraries under test need -fsanitize=fuzzer-no-link,address,undefined themselves; see
  # src/ingest/CMakeLists.txt.
  target_compile_options(${name} PRIVATE
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  set_property(GLOBAL APPEND PROPERTY AUGUR_FUZZERS ${name})
endfunction()

# augur_add_bench(NAME SOURCES ... DEPS ...): a Google Benchmark binary.
function(augur_add_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(AUGUR_FUZZ)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
endfunction()
