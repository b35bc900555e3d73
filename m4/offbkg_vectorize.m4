# SPDX-License-Identifier: BSD-3-Clause
# OFFBKG_VECTORIZE: the flags that let -O2 vectorise the model arithmetic
# (the rates of a cube, the sums of the match step), when the compiler
# takes them: -fno-math-errno, as sqrt of a value checked >= 0 never sets
# errno and its errno branch keeps a loop scalar; and GCC's dynamic cost
# model, as -O2's default (very-cheap) vectorises only loops whose trip
# count is a known multiple of the vector width. Neither changes a
# result: no reassociation, no other rounding (doc/match.md §7).
AC_DEFUN([OFFBKG_VECTORIZE], [
  OFFBKG_VEC_CFLAGS=
  for offbkg_flag in -fno-math-errno -fvect-cost-model=dynamic; do
    AC_MSG_CHECKING([whether $CC accepts $offbkg_flag])
    offbkg_save_CFLAGS=$CFLAGS
    CFLAGS="$CFLAGS $offbkg_flag -Werror"
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
      [AC_MSG_RESULT([yes])
       OFFBKG_VEC_CFLAGS="$OFFBKG_VEC_CFLAGS $offbkg_flag"],
      [AC_MSG_RESULT([no])])
    CFLAGS=$offbkg_save_CFLAGS
  done
  AC_SUBST([OFFBKG_VEC_CFLAGS])
])
