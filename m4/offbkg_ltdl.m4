# SPDX-License-Identifier: BSD-3-Clause
# OFFBKG_CHECK_LTDL: the system libltdl (no vendored copy); sets LIBLTDL.
AC_DEFUN([OFFBKG_CHECK_LTDL], [
  AC_CHECK_HEADER([ltdl.h], [],
    [AC_MSG_ERROR([ltdl.h not found: install libltdl-dev])])
  AC_CHECK_LIB([ltdl], [lt_dlopenext], [LIBLTDL=-lltdl],
    [AC_MSG_ERROR([libltdl not found: install libltdl-dev])])
  AC_SUBST([LIBLTDL])
])
