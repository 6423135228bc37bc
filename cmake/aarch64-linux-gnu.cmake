# aarch64-linux-gnu.cmake: a toolchain file for cross-compiling goro to
# 64-bit Arm Linux with Debian's cross compiler (gcc-aarch64-linux-gnu) and
# running its tests under qemu-user (qemu-user-static):
#
#   cmake -B build/aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
#   cmake --build build/aarch64 && ctest --test-dir build/aarch64
#
# Executables are linked statically by default, so qemu-aarch64-static runs
# them without an aarch64 sysroot (-DGORO_AARCH64_STATIC=OFF links them
# dynamically; then the emulator needs QEMU_LD_PREFIX=/usr/aarch64-linux-gnu).
# CMAKE_CROSSCOMPILING_EMULATOR makes ctest (and add_custom_command) run
# target binaries under qemu. Override the emulator with
# -DGORO_QEMU_AARCH64=/path/to/qemu-aarch64, and the compiler prefix with
# -DGORO_CROSS_PREFIX=aarch64-linux-gnu-.
#
# CMake reads this file more than once (once per try_compile), so it only
# sets variables and never appends to them.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

if(NOT DEFINED GORO_CROSS_PREFIX)
  set(GORO_CROSS_PREFIX aarch64-linux-gnu-)
endif()
set(CMAKE_C_COMPILER ${GORO_CROSS_PREFIX}gcc)
set(CMAKE_CXX_COMPILER ${GORO_CROSS_PREFIX}g++)
set(CMAKE_ASM_COMPILER ${GORO_CROSS_PREFIX}gcc)

# Libraries and headers come from the cross toolchain's own tree; programs
# (the emulator, code generators) from the build machine.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

option(GORO_AARCH64_STATIC "Link aarch64 executables statically" ON)
if(GORO_AARCH64_STATIC)
  # _INIT: the starting value of CMAKE_EXE_LINKER_FLAGS, which users may
  # still extend on the command line.
  set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
endif()

find_program(GORO_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(GORO_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${GORO_QEMU_AARCH64})
else()
  message(WARNING "qemu-aarch64-static not found: aarch64 test binaries "
                  "will build, but ctest cannot run them here")
endif()
