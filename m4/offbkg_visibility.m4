# SPDX-License-Identifier: BSD-3-Clause
# OFFBKG_VISIBILITY: liboffbkg is compiled with -fvisibility=hidden, so it
# exports only what include/offbkg/ marks OFFBKG_API (GCC and clang).
AC_DEFUN([OFFBKG_VISIBILITY], [
  AC_MSG_CHECKING([whether $CC accepts -fvisibility=hidden])
  save_CFLAGS=$CFLAGS; CFLAGS="$CFLAGS -fvisibility=hidden -Werror"
  AC_COMPILE_IFELSE(
    [AC_LANG_PROGRAM([[__attribute__((visibility("default"))) int f(void);
int f(void) { return 0; }]], [[return f();]])],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no])
     AC_MSG_ERROR([liboffbkg needs -fvisibility=hidden (GCC or clang) to export only its ABI])])
  CFLAGS=$save_CFLAGS
  VISIBILITY_CFLAGS=-fvisibility=hidden
  AC_SUBST([VISIBILITY_CFLAGS])
])
