# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
# Installs pktpath into a scratch prefix, then builds a tiny consumer through
# find_package(pktpath CONFIG), add_subdirectory, FetchContent and pkg-config.
file(REMOVE_RECURSE "${WORK_DIR}")
set(_prefix "${WORK_DIR}/prefix")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "failed (${_rc}): ${ARGN}\n${_out}")
  endif()
endfunction()

run(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/lib" -G "${GENERATOR}"
    -DCMAKE_INSTALL_PREFIX=${_prefix} -DPKTPATH_BUILD_TESTS=OFF -DPKTPATH_BUILD_EXAMPLES=OFF
    -DPKTPATH_BUILD_BENCH=OFF -DPKTPATH_INSTALL=ON)
run(${CMAKE_COMMAND} --build "${WORK_DIR}/lib")
run(${CMAKE_COMMAND} --install "${WORK_DIR}/lib")

foreach(_f include/pktpath/version.h include/pktpath/flow/parse.h share/pktpath/cmake/pktpathConfig.cmake
           share/pkgconfig/pktpath.pc)
  if(NOT EXISTS "${_prefix}/${_f}")
    message(FATAL_ERROR "install is missing ${_f}")
  endif()
endforeach()

foreach(_mode package subdir fetch)
  set(_dir "${WORK_DIR}/consumer-${_mode}")
  run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/install/consumer" -B "${_dir}" -G "${GENERATOR}"
      -DMODE=${_mode} -DPKTPATH_SOURCE=${SOURCE_DIR} -DCMAKE_PREFIX_PATH=${_prefix} -DCMAKE_CXX_COMPILER=${CXX})
  run(${CMAKE_COMMAND} --build "${_dir}")
  run("${_dir}/consumer")
endforeach()

# pkg-config route: compile the same source with the flags the .pc file gives.
find_program(PKG_CONFIG pkg-config)
if(PKG_CONFIG)
  set(ENV{PKG_CONFIG_PATH} "${_prefix}/share/pkgconfig")
  execute_process(COMMAND ${PKG_CONFIG} --cflags pktpath OUTPUT_VARIABLE _cflags RESULT_VARIABLE _rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "pkg-config does not know pktpath")
  endif()
  separate_arguments(_cflags UNIX_COMMAND "${_cflags}")
  run(${CXX} -std=c++17 ${_cflags} "${SOURCE_DIR}/tests/install/consumer/consumer.cpp"
      -o "${WORK_DIR}/consumer-pc")
  run("${WORK_DIR}/consumer-pc")
endif()
message(STATUS "install check passed")
