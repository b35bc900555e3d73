# SPDX-License-Identifier: BSD-3-Clause
# OFFBKG_FUZZING: --enable-fuzzing builds the tests/fuzz/ targets with
# libFuzzer (clang only: ./configure CC=clang --enable-fuzzing). Every
# object gets libFuzzer's coverage and, as with --enable-sanitizers,
# AddressSanitizer and UBSan; the FUZZING conditional links the targets
# with -fsanitize=fuzzer. Call after OFFBKG_WARNINGS.
AC_DEFUN([OFFBKG_FUZZING], [
  AC_ARG_ENABLE([fuzzing],
    [AS_HELP_STRING([--enable-fuzzing],
      [build the libFuzzer targets for make fuzz (needs CC=clang)])],
    [], [enable_fuzzing=no])
  AS_IF([test "x$enable_fuzzing" = xyes], [
    offbkg_save_CFLAGS=$CFLAGS
    CFLAGS="$CFLAGS -fsanitize=fuzzer"
    AC_MSG_CHECKING([whether $CC links libFuzzer targets])
    AC_LINK_IFELSE([AC_LANG_SOURCE([[
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{ (void)data; (void)size; return 0; }]])],
      [AC_MSG_RESULT([yes])],
      [AC_MSG_RESULT([no])
       AC_MSG_ERROR([--enable-fuzzing needs clang with libFuzzer: ./configure CC=clang --enable-fuzzing (Debian: apt-get install clang)])])
    CFLAGS=$offbkg_save_CFLAGS
    WARN_CFLAGS="$WARN_CFLAGS -fsanitize=fuzzer-no-link"
    AS_IF([test "x$enable_sanitizers" != xyes],
      [WARN_CFLAGS="$WARN_CFLAGS $OFFBKG_SANITIZE_CFLAGS"
       LDFLAGS="$LDFLAGS $OFFBKG_SANITIZE_LDFLAGS"
       enable_sanitizers=yes])])
  AM_CONDITIONAL([FUZZING], [test "x$enable_fuzzing" = xyes])
  AM_CONDITIONAL([SANITIZERS], [test "x$enable_sanitizers" = xyes])
])
