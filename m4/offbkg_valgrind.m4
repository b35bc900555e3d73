# SPDX-License-Identifier: BSD-3-Clause
# OFFBKG_CHECK_VALGRIND: path to valgrind for the check-valgrind target.
AC_DEFUN([OFFBKG_CHECK_VALGRIND], [
  AC_PATH_PROG([VALGRIND], [valgrind], [])
  AM_CONDITIONAL([HAVE_VALGRIND], [test -n "$VALGRIND"])
])
