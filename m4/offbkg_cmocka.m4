# SPDX-License-Identifier: BSD-3-Clause
# OFFBKG_CHECK_CMOCKA: unit tests need cmocka >= 1.1; without it they are
# skipped, not failed (conditional HAVE_CMOCKA).
AC_DEFUN([OFFBKG_CHECK_CMOCKA], [
  PKG_CHECK_MODULES([CMOCKA], [cmocka >= 1.1], [have_cmocka=yes],
    [have_cmocka=no
     AC_MSG_WARN([cmocka not found: the unit tests will be skipped])])
  AM_CONDITIONAL([HAVE_CMOCKA], [test "x$have_cmocka" = xyes])
])
