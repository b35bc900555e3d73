# SPDX-License-Identifier: BSD-3-Clause
# AX_OFFBKG_PTHREAD: POSIX threads through -pthread (GCC and clang).
AC_DEFUN([AX_OFFBKG_PTHREAD], [
  PTHREAD_CFLAGS=-pthread
  PTHREAD_LIBS=-pthread
  save_CFLAGS=$CFLAGS; CFLAGS="$CFLAGS -pthread"
  AC_CHECK_FUNC([pthread_create], [],
    [AC_MSG_ERROR([POSIX threads are required])])
  CFLAGS=$save_CFLAGS
  AC_SUBST([PTHREAD_CFLAGS])
  AC_SUBST([PTHREAD_LIBS])
])
