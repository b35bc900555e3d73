# SPDX-License-Identifier: BSD-3-Clause
# Tests: cmocka programs and TAP shell scripts, all under tap-driver.sh.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) \
	$(top_srcdir)/build-aux/tap-driver.sh
AM_TESTS_ENVIRONMENT = \
	CMOCKA_MESSAGE_OUTPUT=TAP; export CMOCKA_MESSAGE_OUTPUT; \
	OFFBKG_PLUGIN_PATH='$(abs_top_builddir)/plugins'; \
	export OFFBKG_PLUGIN_PATH; \
	OFFBKG_TEST_PLUGINS='$(abs_top_builddir)/tests/plugins'; \
	export OFFBKG_TEST_PLUGINS; \
	OFFBKG='$(abs_top_builddir)/offbkg'; export OFFBKG; \
	top_srcdir='$(abs_top_srcdir)'; export top_srcdir;
