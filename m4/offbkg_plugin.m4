# SPDX-License-Identifier: BSD-3-Clause
# OFFBKG_PLUGIN(module, default, help): a --disable-plugin-<module> switch and
# a BUILD_PLUGIN_<MODULE> automake conditional, in the spirit of collectd's
# AC_PLUGIN.
AC_DEFUN([OFFBKG_PLUGIN], [
  AC_ARG_ENABLE([plugin-$1],
    [AS_HELP_STRING([--disable-plugin-$1], [do not build $3])],
    [], [enable_plugin_$1=$2])
  AM_CONDITIONAL([BUILD_PLUGIN_]m4_toupper([$1]),
    [test "x$enable_plugin_$1" = xyes])
])
