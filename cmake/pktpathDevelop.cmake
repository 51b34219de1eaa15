# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
# Settings for pktpath's own tests, examples and benchmarks (never for consumers).

set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "" FORCE)
endif()

find_package(Threads REQUIRED)

# Warnings every public header must pass (tests/headers builds each alone with them).
set(PKTPATH_STRICT_WARNINGS -Wall -Wextra -Wpedantic -Werror)

add_library(pktpath_develop INTERFACE)
target_link_libraries(pktpath_develop INTERFACE pktpath::pktpath Threads::Threads)
target_compile_options(pktpath_develop INTERFACE -Wall -Wextra -Wpedantic)
if(PKTPATH_SANITIZE)
  target_compile_options(pktpath_develop INTERFACE -fsanitize=${PKTPATH_SANITIZE} -fno-omit-frame-pointer
                                                   -fno-sanitize-recover=all)
  target_link_options(pktpath_develop INTERFACE -fsanitize=${PKTPATH_SANITIZE})
endif()

# Optional peers, used by benchmarks (and examples that compare against them).
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(DPDK QUIET IMPORTED_TARGET libdpdk)
  pkg_check_modules(URCU QUIET IMPORTED_TARGET liburcu-cds liburcu-qsbr)
  pkg_check_modules(LIBPCAP QUIET IMPORTED_TARGET libpcap)
endif()
find_package(TBB QUIET CONFIG)
find_package(Boost QUIET)
