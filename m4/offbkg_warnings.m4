# SPDX-License-Identifier: BSD-3-Clause
# OFFBKG_WARNINGS: -Wall -Wextra always; -Werror with --enable-werror (CI);
# AddressSanitizer + UBSan with --enable-sanitizers.
AC_DEFUN([OFFBKG_WARNINGS], [
  AC_ARG_ENABLE([werror],
    [AS_HELP_STRING([--enable-werror], [treat compiler warnings as errors])],
    [], [enable_werror=no])
  AC_ARG_ENABLE([sanitizers],
    [AS_HELP_STRING([--enable-sanitizers],
      [build with AddressSanitizer and UndefinedBehaviorSanitizer])],
    [], [enable_sanitizers=no])
  WARN_CFLAGS="-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2"
  AS_IF([test "x$enable_werror" = xyes], [WARN_CFLAGS="$WARN_CFLAGS -Werror"])
  # Every object, plugins included, gets the same flags: ASan must see
  # the modules it dlopens. An UBSan report stops the program, so a test
  # that triggers one fails.
  OFFBKG_SANITIZE_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
  OFFBKG_SANITIZE_LDFLAGS="-fsanitize=address,undefined"
  AS_IF([test "x$enable_sanitizers" = xyes],
    [WARN_CFLAGS="$WARN_CFLAGS $OFFBKG_SANITIZE_CFLAGS"
     LDFLAGS="$LDFLAGS $OFFBKG_SANITIZE_LDFLAGS"])
  AC_SUBST([WARN_CFLAGS])
])
