# SPDX-License-Identifier: BSD-3-Clause
# Tests: cmocka programs and TAP shell scripts, all under tap-driver.sh.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) \
	$(top_srcdir)/build-aux/tap-driver.sh
# Plugins from the build tree only: an empty OFFBKG_PLUGINDIR drops the
# installed plugin directory from the search path, so make check tests
# this build whatever is installed in its prefix.
AM_TESTS_ENVIRONMENT = \
	CMOCKA_MESSAGE_OUTPUT=TAP; export CMOCKA_MESSAGE_OUTPUT; \
	OFFBKG_PLUGIN_PATH='$(abs_top_builddir)/plugins'; \
	export OFFBKG_PLUGIN_PATH; \
	OFFBKG_PLUGINDIR=; export OFFBKG_PLUGINDIR; \
	OFFBKG_TEST_PLUGINS='$(abs_top_builddir)/tests/plugins'; \
	export OFFBKG_TEST_PLUGINS; \
	OFFBKG_TEST_TOOLS='$(abs_top_builddir)/tests/tools'; \
	export OFFBKG_TEST_TOOLS; \
	OFFBKG='$(abs_top_builddir)/offbkg'; export OFFBKG; \
	OFFBKG_WRAPPER='$(OFFBKG_WRAPPER)'; export OFFBKG_WRAPPER; \
	top_srcdir='$(abs_top_srcdir)'; export top_srcdir; \
	OFFBKG_FITSTAB='$(abs_top_builddir)/tests/tools/fitstab'; \
	export OFFBKG_FITSTAB; \
	OFFBKG_DR1="$${OFFBKG_DR1:-}"; export OFFBKG_DR1; \
	LSAN_OPTIONS="suppressions=$(abs_top_srcdir)/tests/lsan.supp:print_suppressions=0"; \
	export LSAN_OPTIONS;

# Test-only plugins (built for make check, never installed).
TEST_PLUGIN_LDFLAGS = $(PLUGIN_LDFLAGS) -rpath /nowhere
TEST_REFUSED_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_STAGE=OFFBKG_STAGE_SELECT
check_LTLIBRARIES += \
	tests/plugins/select_abimajor.la \
	tests/plugins/select_abiminor.la \
	tests/plugins/select_wrongstage.la \
	tests/plugins/select_misnamed.la \
	tests/plugins/select_badparams.la \
	tests/plugins/select_nosym.la \
	tests/plugins/model_fake.la \
	tests/plugins/model_smallops.la \
	tests/plugins/select_ctor.la \
	tests/plugins/match_fake.la \
	tests/plugins/abi12/model_2d.la

tests_plugins_select_abimajor_la_SOURCES = tests/plugins/refused.c
tests_plugins_select_abimajor_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTEST_MODULE=select_abimajor -DTEST_NAME='"abimajor"' \
	-DTEST_ABI_MAJOR='(OFFBKG_PLUGIN_ABI_MAJOR + 1)' -DTEST_ABI_MINOR=0 \
	-DTEST_STAGE=OFFBKG_STAGE_SELECT
tests_plugins_select_abimajor_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_select_abimajor_la_LIBADD = $(PLUGIN_LIBADD)

tests_plugins_select_abiminor_la_SOURCES = tests/plugins/refused.c
tests_plugins_select_abiminor_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTEST_MODULE=select_abiminor -DTEST_NAME='"abiminor"' \
	-DTEST_ABI_MAJOR=OFFBKG_PLUGIN_ABI_MAJOR \
	-DTEST_ABI_MINOR='(OFFBKG_PLUGIN_ABI_MINOR + 1)' \
	-DTEST_STAGE=OFFBKG_STAGE_SELECT
tests_plugins_select_abiminor_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_select_abiminor_la_LIBADD = $(PLUGIN_LIBADD)

tests_plugins_select_wrongstage_la_SOURCES = tests/plugins/refused.c
tests_plugins_select_wrongstage_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTEST_MODULE=select_wrongstage -DTEST_NAME='"wrongstage"' \
	-DTEST_ABI_MAJOR=OFFBKG_PLUGIN_ABI_MAJOR \
	-DTEST_ABI_MINOR=OFFBKG_PLUGIN_ABI_MINOR \
	-DTEST_STAGE=OFFBKG_STAGE_GROUP
tests_plugins_select_wrongstage_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_select_wrongstage_la_LIBADD = $(PLUGIN_LIBADD)

tests_plugins_select_misnamed_la_SOURCES = tests/plugins/refused.c
tests_plugins_select_misnamed_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTEST_MODULE=select_misnamed -DTEST_NAME='"othername"' \
	-DTEST_ABI_MAJOR=OFFBKG_PLUGIN_ABI_MAJOR \
	-DTEST_ABI_MINOR=OFFBKG_PLUGIN_ABI_MINOR \
	-DTEST_STAGE=OFFBKG_STAGE_SELECT
tests_plugins_select_misnamed_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_select_misnamed_la_LIBADD = $(PLUGIN_LIBADD)

tests_plugins_select_badparams_la_SOURCES = tests/plugins/refused.c
tests_plugins_select_badparams_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTEST_MODULE=select_badparams -DTEST_NAME='"badparams"' \
	-DTEST_ABI_MAJOR=OFFBKG_PLUGIN_ABI_MAJOR \
	-DTEST_ABI_MINOR=OFFBKG_PLUGIN_ABI_MINOR \
	-DTEST_STAGE=OFFBKG_STAGE_SELECT -DTEST_BAD_PARAMS
tests_plugins_select_badparams_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_select_badparams_la_LIBADD = $(PLUGIN_LIBADD)

tests_plugins_select_nosym_la_SOURCES = tests/plugins/select_nosym.c
tests_plugins_select_nosym_la_LDFLAGS = -module -avoid-version \
	-no-undefined -rpath /nowhere

tests_plugins_select_ctor_la_SOURCES = tests/plugins/select_ctor.c
tests_plugins_select_ctor_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_select_ctor_la_LIBADD = $(PLUGIN_LIBADD)

tests_plugins_model_fake_la_SOURCES = tests/plugins/model_fake.c
tests_plugins_model_fake_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_model_fake_la_LIBADD = $(PLUGIN_LIBADD)

tests_plugins_match_fake_la_SOURCES = tests/plugins/match_fake.c
tests_plugins_match_fake_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_match_fake_la_LIBADD = $(PLUGIN_LIBADD)

tests_plugins_model_smallops_la_SOURCES = tests/plugins/model_fake.c
tests_plugins_model_smallops_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTEST_MODULE=model_smallops -DTEST_NAME='"smallops"' \
	-DTEST_OPS_SIZE='offsetof(offbkg_model_ops_t, finish)'
tests_plugins_model_smallops_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_model_smallops_la_LIBADD = $(PLUGIN_LIBADD)

# model/2d as built before plugin ABI 1.3: its ops table ends before
# contrib_add (tests/run/store.sh).
tests_plugins_abi12_model_2d_la_SOURCES = plugins/model_2d.c \
	$(MODEL_GRID_SOURCES)
tests_plugins_abi12_model_2d_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTEST_OPS_SIZE='offsetof(offbkg_model_ops_t, contrib_add)'
tests_plugins_abi12_model_2d_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_abi12_model_2d_la_LIBADD = $(PLUGIN_LIBADD)

# Helper programs for the shell tests (built, never run as tests).
check_PROGRAMS += tests/tools/fitstab
tests_tools_fitstab_SOURCES = tests/tools/fitstab.c
tests_tools_fitstab_CFLAGS = $(AM_CFLAGS) $(CFITSIO_CFLAGS)
tests_tools_fitstab_LDADD = $(CFITSIO_LIBS)

# Unit tests (cmocka): one program per core module.
if HAVE_CMOCKA
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/core
UNIT_LDADD = core/liboffbkg-private.la $(CMOCKA_LIBS)
# A shipped plugin's instance made as the host makes it, from INI pairs.
PLUGIN_FIXTURE = tests/unit/plugin_fixture.h tests/unit/inisec.h
UNIT_TESTS = \
	tests/unit/test_params \
	tests/unit/test_ini \
	tests/unit/test_runconf \
	tests/unit/test_registry \
	tests/unit/test_preload \
	tests/unit/test_shipped_plugins \
	tests/unit/test_geom \
	tests/unit/test_plugins_selgroup \
	tests/unit/test_bkg \
	tests/unit/test_output \
	tests/unit/test_plot_index \
	tests/unit/test_fitssum \
	tests/unit/test_exclude \
	tests/unit/test_binning \
	tests/unit/test_parallel \
	tests/unit/test_models \
	tests/unit/test_match_plugins \
	tests/unit/test_datastore \
	tests/unit/test_irf_class \
	tests/unit/test_sim \
	tests/unit/test_smoothers \
	tests/unit/test_closure \
	tests/unit/test_pipeline \
	tests/unit/test_store \
	tests/unit/test_target \
	tests/unit/test_match_write \
	tests/unit/test_match \
	tests/unit/test_validate \
	tests/unit/test_stats
check_PROGRAMS += $(UNIT_TESTS)
tests_unit_test_params_SOURCES = tests/unit/test_params.c \
	tests/unit/inisec.h
tests_unit_test_params_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_params_LDADD = $(UNIT_LDADD)
tests_unit_test_ini_SOURCES = tests/unit/test_ini.c tests/unit/tmpfile.h
tests_unit_test_ini_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ini_LDADD = $(UNIT_LDADD)
tests_unit_test_runconf_SOURCES = tests/unit/test_runconf.c \
	tests/unit/tmpfile.h
tests_unit_test_runconf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_runconf_LDADD = $(UNIT_LDADD)
tests_unit_test_registry_SOURCES = tests/unit/test_registry.c
tests_unit_test_registry_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_registry_LDADD = $(UNIT_LDADD)
# The preloaded test links select_all into the program (static builds).
tests_unit_test_preload_SOURCES = tests/unit/test_preload.c
tests_unit_test_preload_CFLAGS = $(UNIT_CFLAGS)
# -no-install: no wrapper script, so no LD_LIBRARY_PATH that would let
# libltdl find the module file instead of the preloaded copy.
tests_unit_test_preload_LDFLAGS = -no-install -dlpreopen plugins/select_all.la
tests_unit_test_preload_LDADD = $(UNIT_LDADD) $(LIBLTDL)
tests_unit_test_preload_DEPENDENCIES = core/liboffbkg-private.la \
	plugins/select_all.la
tests_unit_test_shipped_plugins_SOURCES = \
	tests/unit/test_shipped_plugins.c $(PLUGIN_FIXTURE)
tests_unit_test_shipped_plugins_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_shipped_plugins_LDADD = $(UNIT_LDADD)
tests_unit_test_geom_SOURCES = tests/unit/test_geom.c
tests_unit_test_geom_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_geom_LDADD = $(UNIT_LDADD)
tests_unit_test_plugins_selgroup_SOURCES = \
	tests/unit/test_plugins_selgroup.c tests/unit/tmpfile.h $(PLUGIN_FIXTURE)
tests_unit_test_plugins_selgroup_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_plugins_selgroup_LDADD = $(UNIT_LDADD)
tests_unit_test_exclude_SOURCES = tests/unit/test_exclude.c \
	tests/unit/tmpfile.h
tests_unit_test_exclude_CFLAGS = $(UNIT_CFLAGS) $(CFITSIO_CFLAGS)
tests_unit_test_exclude_LDADD = $(UNIT_LDADD) $(CFITSIO_LIBS)
tests_unit_test_output_SOURCES = tests/unit/test_output.c
tests_unit_test_output_CFLAGS = $(UNIT_CFLAGS) $(CFITSIO_CFLAGS)
tests_unit_test_output_LDADD = $(UNIT_LDADD) $(CFITSIO_LIBS)
tests_unit_test_plot_index_SOURCES = tests/unit/test_plot_index.c
tests_unit_test_plot_index_CFLAGS = $(UNIT_CFLAGS) $(CFITSIO_CFLAGS)
tests_unit_test_plot_index_LDADD = $(UNIT_LDADD) $(CFITSIO_LIBS)
tests_unit_test_fitssum_SOURCES = tests/unit/test_fitssum.c
tests_unit_test_fitssum_CFLAGS = $(UNIT_CFLAGS) $(CFITSIO_CFLAGS)
tests_unit_test_fitssum_LDADD = $(UNIT_LDADD) $(CFITSIO_LIBS)
tests_unit_test_bkg_SOURCES = tests/unit/test_bkg.c
tests_unit_test_bkg_CFLAGS = $(UNIT_CFLAGS) $(CFITSIO_CFLAGS)
tests_unit_test_bkg_LDADD = $(UNIT_LDADD) $(CFITSIO_LIBS)
tests_unit_test_binning_SOURCES = tests/unit/test_binning.c
tests_unit_test_binning_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_binning_LDADD = $(UNIT_LDADD)
tests_unit_test_parallel_SOURCES = tests/unit/test_parallel.c
tests_unit_test_parallel_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_parallel_LDADD = $(UNIT_LDADD)
tests_unit_test_models_SOURCES = tests/unit/test_models.c $(PLUGIN_FIXTURE)
tests_unit_test_models_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_models_LDADD = $(UNIT_LDADD)
tests_unit_test_match_plugins_SOURCES = tests/unit/test_match_plugins.c \
	$(PLUGIN_FIXTURE)
tests_unit_test_match_plugins_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_match_plugins_LDADD = $(UNIT_LDADD)
# Writes its own small data stores with cfitsio; reads $OFFBKG_DR1 too.
tests_unit_test_datastore_SOURCES = tests/unit/test_datastore.c \
	tests/unit/storegen.h \
	tests/unit/simstore.h tests/unit/logcapture.h
tests_unit_test_datastore_CFLAGS = $(UNIT_CFLAGS) $(CFITSIO_CFLAGS)
tests_unit_test_datastore_LDADD = $(UNIT_LDADD) $(CFITSIO_LIBS)
# Writes small stores with IRF files; reads $OFFBKG_DR1 too.
tests_unit_test_irf_class_SOURCES = tests/unit/test_irf_class.c \
	tests/unit/storegen.h tests/unit/logcapture.h
tests_unit_test_irf_class_CFLAGS = $(UNIT_CFLAGS) $(CFITSIO_CFLAGS)
tests_unit_test_irf_class_LDADD = $(UNIT_LDADD) $(CFITSIO_LIBS)
tests_unit_test_sim_SOURCES = tests/unit/test_sim.c
tests_unit_test_sim_CFLAGS = $(UNIT_CFLAGS) $(CFITSIO_CFLAGS)
tests_unit_test_sim_LDADD = $(UNIT_LDADD) $(CFITSIO_LIBS)
tests_unit_test_smoothers_SOURCES = tests/unit/test_smoothers.c \
	$(PLUGIN_FIXTURE)
tests_unit_test_smoothers_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_smoothers_LDADD = $(UNIT_LDADD)
# Simulated stores through the whole pipeline against the truth; reads
# the event files back with cfitsio.
tests_unit_test_closure_SOURCES = tests/unit/test_closure.c \
	tests/unit/storegen.h
tests_unit_test_closure_CFLAGS = $(UNIT_CFLAGS) $(CFITSIO_CFLAGS)
tests_unit_test_closure_LDADD = $(UNIT_LDADD) $(CFITSIO_LIBS)
# Per-observation model files from a hand-made match (core/match_write.c).
tests_unit_test_match_write_SOURCES = tests/unit/test_match_write.c \
	tests/unit/storegen.h \
	tests/unit/simstore.h
tests_unit_test_match_write_CFLAGS = $(UNIT_CFLAGS) $(CFITSIO_CFLAGS)
tests_unit_test_match_write_LDADD = $(UNIT_LDADD) $(CFITSIO_LIBS)
tests_unit_test_pipeline_SOURCES = tests/unit/test_pipeline.c \
	tests/unit/storegen.h \
	tests/unit/simstore.h
tests_unit_test_pipeline_CFLAGS = $(UNIT_CFLAGS) $(CFITSIO_CFLAGS)
tests_unit_test_pipeline_LDADD = $(UNIT_LDADD) $(CFITSIO_LIBS)
# The contribution store: simulated data stores; its gzip files edited
# with cfitsio and zlib.
tests_unit_test_store_SOURCES = tests/unit/test_store.c tests/unit/storegen.h \
	tests/unit/simstore.h
tests_unit_test_store_CFLAGS = $(UNIT_CFLAGS) $(CFITSIO_CFLAGS) \
	$(ZLIB_CFLAGS)
tests_unit_test_store_LDADD = $(UNIT_LDADD) $(CFITSIO_LIBS) $(ZLIB_LIBS)
tests_unit_test_target_SOURCES = tests/unit/test_target.c
tests_unit_test_target_CFLAGS = $(UNIT_CFLAGS) $(CFITSIO_CFLAGS)
tests_unit_test_target_LDADD = $(UNIT_LDADD) $(CFITSIO_LIBS)
# The match step: simulated stores, the test matcher tests/plugins/match_fake.
tests_unit_test_match_SOURCES = tests/unit/test_match.c tests/unit/storegen.h \
	tests/unit/simstore.h
tests_unit_test_match_CFLAGS = $(UNIT_CFLAGS) $(CFITSIO_CFLAGS)
tests_unit_test_match_LDADD = $(UNIT_LDADD) $(CFITSIO_LIBS)
# offbkg validate's engine on simulated stores.
tests_unit_test_validate_SOURCES = tests/unit/test_validate.c \
	tests/unit/storegen.h tests/unit/simstore.h
tests_unit_test_validate_CFLAGS = $(UNIT_CFLAGS) $(CFITSIO_CFLAGS)
tests_unit_test_validate_LDADD = $(UNIT_LDADD) $(CFITSIO_LIBS)
# The statistics of offbkg validate; draws with the simulator's random
# numbers.
tests_unit_test_stats_SOURCES = tests/unit/test_stats.c
tests_unit_test_stats_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_stats_LDADD = $(UNIT_LDADD)
TESTS += $(UNIT_TESTS)
endif
# The outputs of offbkg validate from a hand-made validation:
# validation.fits read back with cfitsio, report.json, the summary (the
# front end's core/cli/validate_summary.c compiled in).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_validate_write
TESTS += tests/unit/test_validate_write
tests_unit_test_validate_write_SOURCES = tests/unit/test_validate_write.c \
	core/cli/validate_summary.c
tests_unit_test_validate_write_CFLAGS = $(UNIT_CFLAGS) $(CFITSIO_CFLAGS)
tests_unit_test_validate_write_LDADD = $(UNIT_LDADD) $(CFITSIO_LIBS)
endif

# The drawing layer (core/plot.c): figures in PNG, PDF and SVG, errors;
# built without PLplot, the message that says so.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_plot
TESTS += tests/unit/test_plot
tests_unit_test_plot_SOURCES = tests/unit/test_plot.c
tests_unit_test_plot_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_plot_LDADD = $(UNIT_LDADD)
endif

# offbkg plot FILE...: the figures of a simulated store's models (their
# formats and pixels, tests/tools/png_pixels.py with python3-pil), and
# bad inputs and outputs.
dist_check_SCRIPTS += tests/run/plot.sh tests/robustness/plot.sh \
	tests/tools/png_pixels.py
TESTS += tests/run/plot.sh tests/robustness/plot.sh

# Helper programs the shell tests run (not tests themselves).
check_PROGRAMS += tests/tools/write_test_cubes
tests_tools_write_test_cubes_SOURCES = tests/tools/write_test_cubes.c
tests_tools_write_test_cubes_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/core
tests_tools_write_test_cubes_LDADD = core/liboffbkg-private.la
check_PROGRAMS += tests/tools/bkg_summary
tests_tools_bkg_summary_SOURCES = tests/tools/bkg_summary.c
tests_tools_bkg_summary_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/core
tests_tools_bkg_summary_LDADD = core/liboffbkg-private.la

# End-to-end tests of the command line (TAP shell scripts).
dist_check_SCRIPTS += tests/run/cli.sh tests/run/tap.sh tests/run/gammapy.sh \
	tests/run/dr1_model.sh tests/run/dr1_select.sh tests/run/simulate.sh \
	tests/run/dr1_gammapy.sh tests/run/pipeline.sh tests/run/dr1_quality.sh \
	tests/run/irf_class.sh
TESTS += tests/run/cli.sh tests/run/gammapy.sh tests/run/dr1_model.sh \
	tests/run/dr1_select.sh tests/run/simulate.sh tests/run/dr1_gammapy.sh \
	tests/run/pipeline.sh tests/run/dr1_quality.sh tests/run/irf_class.sh
EXTRA_DIST += tests/data/README tests/gammapy/check_bkg.py \
	tests/gammapy/check_dr1_store.py tests/gammapy/check_store.py

# make check-valgrind: the whole suite under memcheck. Test programs run
# through libtool so valgrind sees the program, not libtool's wrapper;
# the shell tests run every offbkg command under valgrind instead.
TEST_EXTENSIONS = .sh
SH_LOG_DRIVER = $(LOG_DRIVER)
VALGRIND_RUN = $(LIBTOOL) --mode=execute $(VALGRIND) -q \
	--error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--suppressions=$(abs_top_srcdir)/tests/valgrind.supp
check-valgrind:
if SANITIZERS
	@echo "check-valgrind: skipped: AddressSanitizer and valgrind cannot" \
		"run together; use a build without --enable-sanitizers"
else
if HAVE_VALGRIND
	$(MAKE) $(AM_MAKEFLAGS) check LOG_COMPILER='$(VALGRIND_RUN)' \
		OFFBKG_WRAPPER='$(VALGRIND_RUN)'
else
	@echo "valgrind not found: install it and re-run configure"; exit 1
endif
endif
.PHONY: check-valgrind

# The plugin kit against an installed offbkg (tests/run/plugin_kit.sh):
# in make check a scratch DESTDIR install of this tree, in make
# installcheck (and so in make distcheck) the real installation.
KIT_ENVIRONMENT = KIT_TOP_BUILDDIR='$(abs_top_builddir)'; \
	KIT_PREFIX='$(prefix)'; KIT_EXEC_PREFIX='$(exec_prefix)'; \
	KIT_BINDIR='$(bindir)'; KIT_LIBDIR='$(libdir)'; \
	KIT_INCLUDEDIR='$(includedir)'; KIT_MANDIR='$(mandir)'; \
	KIT_DOCDIR='$(docdir)'; KIT_PKGCONFIGDIR='$(pkgconfigdir)'; \
	KIT_PLUGINDIR='$(pkglibdir)'; KIT_CC='$(CC)'; KIT_LDFLAGS='$(LDFLAGS)'; \
	KIT_PKG_CONFIG='$(PKG_CONFIG)'; KIT_PLUGINS='$(pkglib_LTLIBRARIES)'; \
	KIT_HEADERS='$(offbkginclude_HEADERS) $(nodist_offbkginclude_HEADERS)'; \
	export KIT_TOP_BUILDDIR KIT_PREFIX KIT_EXEC_PREFIX KIT_BINDIR \
	KIT_LIBDIR KIT_INCLUDEDIR KIT_MANDIR KIT_DOCDIR KIT_PKGCONFIGDIR \
	KIT_PLUGINDIR KIT_CC KIT_LDFLAGS KIT_PKG_CONFIG KIT_PLUGINS KIT_HEADERS;
AM_TESTS_ENVIRONMENT += $(KIT_ENVIRONMENT) KIT_MODE=stage; \
	KIT_STAGE='$(abs_top_builddir)/$(KIT_STAGE)'; export KIT_MODE KIT_STAGE;
# make check's install is made before any test starts: libtool relinks
# each plugin as it installs it, moving the built one aside meanwhile,
# so an install while other tests ran made them miss their plugins.
KIT_STAGE = tests/kit-stage
check_DATA += check-kit-stage
check-kit-stage:
	@rm -rf $(KIT_STAGE) && \
	$(MAKE) $(AM_MAKEFLAGS) install \
	  DESTDIR='$(abs_top_builddir)/$(KIT_STAGE)' >$(KIT_STAGE).log 2>&1 \
	  || { tail -20 $(KIT_STAGE).log; exit 1; }
clean-kit-stage:
	rm -rf $(KIT_STAGE) $(KIT_STAGE).log
.PHONY: check-kit-stage clean-kit-stage
dist_check_SCRIPTS += tests/run/plugin_kit.sh
TESTS += tests/run/plugin_kit.sh
KIT_INSTALLCHECK = tests/run/installcheck-plugin_kit
installcheck-local: tests/tools/fitstab$(EXEEXT)
	@$(AM_TESTS_ENVIRONMENT) KIT_MODE=installed; export KIT_MODE; \
	$(LOG_DRIVER) --test-name 'installcheck: plugin_kit.sh' \
	  --log-file $(KIT_INSTALLCHECK).log \
	  --trs-file $(KIT_INSTALLCHECK).trs --color-tests no \
	  --enable-hard-errors yes --expect-failure no -- \
	  $(SHELL) $(srcdir)/tests/run/plugin_kit.sh; \
	pass=`grep -c '^:test-result: PASS' $(KIT_INSTALLCHECK).trs`; \
	fail=`grep -c '^:test-result: \(FAIL\|ERROR\|XPASS\)' $(KIT_INSTALLCHECK).trs`; \
	echo "installcheck: plugin_kit.sh: $$pass passed, $$fail failed"; \
	grep -q '^:global-test-result: PASS' $(KIT_INSTALLCHECK).trs \
	  || { cat $(KIT_INSTALLCHECK).log; exit 1; }
CLEANFILES += $(KIT_INSTALLCHECK).log $(KIT_INSTALLCHECK).trs
# Time scales and the ALTAZ field of view (issue 8).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_astro
tests_unit_test_astro_SOURCES = tests/unit/test_astro.c
tests_unit_test_astro_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_astro_LDADD = $(UNIT_LDADD) -lm
TESTS += tests/unit/test_astro
endif
check_PROGRAMS += tests/tools/altaz_fov
tests_tools_altaz_fov_SOURCES = tests/tools/altaz_fov.c
tests_tools_altaz_fov_CFLAGS = $(AM_CFLAGS) $(CFITSIO_CFLAGS) \
	-I$(top_srcdir)/core
tests_tools_altaz_fov_LDADD = core/liboffbkg-private.la $(CFITSIO_LIBS)
dist_check_SCRIPTS += tests/run/altaz_gammapy.sh
TESTS += tests/run/altaz_gammapy.sh
EXTRA_DIST += tests/gammapy/check_altaz_fov.py
# The in-memory reader of event files and the events read through it.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_fitsmem
TESTS += tests/unit/test_fitsmem
tests_unit_test_fitsmem_SOURCES = tests/unit/test_fitsmem.c \
	tests/unit/storegen.h
tests_unit_test_fitsmem_CFLAGS = $(UNIT_CFLAGS) $(CFITSIO_CFLAGS) \
	$(ZLIB_CFLAGS)
tests_unit_test_fitsmem_LDADD = $(UNIT_LDADD) $(CFITSIO_LIBS) $(ZLIB_LIBS)
endif
dist_check_SCRIPTS += tests/run/readpath.sh
TESTS += tests/run/readpath.sh
dist_check_SCRIPTS += tests/run/plugin_path.sh
TESTS += tests/run/plugin_path.sh
# A one-node Slurm test cluster (Debian's slurm-wlm and munge, as root),
# started and stopped by the tests that need it (doc/slurm.md).
dist_check_SCRIPTS += tests/tools/slurm_cluster.sh tests/run/slurm_cluster.sh
TESTS += tests/run/slurm_cluster.sh
# The contribution store: models from events, from a store filled by run,
# by 4 concurrent fill shards, and --from-store, bit for bit the same; the
# same with the shards as a Slurm job array (skipped without Slurm).
dist_check_SCRIPTS += tests/run/store.sh tests/run/slurm_fill.sh tests/run/store_sums.sh \
	tests/run/store_sync.sh
TESTS += tests/run/store.sh tests/run/slurm_fill.sh tests/run/store_sums.sh \
	tests/run/store_sync.sh
# An LD_PRELOAD object that audits renames and fsync()s for
# tests/run/store_sync.sh; built by make check, never installed.
check_DATA += tests/tools/fsync_audit.so
EXTRA_DIST += tests/tools/fsync_audit.c
CLEANFILES += tests/tools/fsync_audit.so
tests/tools/fsync_audit.so: $(top_srcdir)/tests/tools/fsync_audit.c
	@$(MKDIR_P) tests/tools
	$(CC) -shared -fPIC -O2 -o $@ $(top_srcdir)/tests/tools/fsync_audit.c -ldl
# Catalog exclusion end to end, and bad catalogs.
dist_check_SCRIPTS += tests/run/catalog.sh tests/robustness/catalog.sh
TESTS += tests/run/catalog.sh tests/robustness/catalog.sh
# The bad-input suite (tests/robustness/): damaged copies of simulated
# stores, full and unwritable outputs, SIGINT and SIGTERM mid-run.
check_PROGRAMS += tests/tools/add_aeff
tests_tools_add_aeff_SOURCES = tests/tools/add_aeff.c
tests_tools_add_aeff_CFLAGS = $(AM_CFLAGS) $(CFITSIO_CFLAGS)
tests_tools_add_aeff_LDADD = $(CFITSIO_LIBS)
check_PROGRAMS += tests/tools/fitsdamage
tests_tools_fitsdamage_SOURCES = tests/tools/fitsdamage.c
tests_tools_fitsdamage_CFLAGS = $(AM_CFLAGS) $(CFITSIO_CFLAGS)
tests_tools_fitsdamage_LDADD = $(CFITSIO_LIBS)
dist_check_SCRIPTS += tests/robustness/common.sh \
	tests/robustness/damaged_runs.sh
TESTS += tests/robustness/damaged_runs.sh
dist_check_SCRIPTS += tests/robustness/bad_store.sh tests/robustness/outputs.sh
TESTS += tests/robustness/bad_store.sh tests/robustness/outputs.sh
dist_check_SCRIPTS += tests/robustness/signals.sh
TESTS += tests/robustness/signals.sh
# Provenance of the outputs and the index tables' honesty (issue 15).
dist_check_SCRIPTS += tests/run/provenance.sh
TESTS += tests/run/provenance.sh
EXTRA_DIST += tests/gammapy/check_provenance.py
# Inputs that gave wrong results without a word (issue 15, item 17).
dist_check_SCRIPTS += tests/robustness/silent.sh
TESTS += tests/robustness/silent.sh
dist_check_SCRIPTS += tests/robustness/preflight.sh
TESTS += tests/robustness/preflight.sh
# The output set: stale files, planted links, kills, the lock.
dist_check_SCRIPTS += tests/robustness/outset.sh
TESTS += tests/robustness/outset.sh
# A group without runs that the index step needs (issue 15, item 3).
dist_check_SCRIPTS += tests/robustness/empty_group.sh
TESTS += tests/robustness/empty_group.sh
# Bad [match] and [target] sections (issue 18).
dist_check_SCRIPTS += tests/robustness/match_config.sh
TESTS += tests/robustness/match_config.sh
# Per-observation model files, index rows and report (core/match_write.c).
dist_check_SCRIPTS += tests/run/match_files.sh
TESTS += tests/run/match_files.sh

# Fuzz targets (tests/fuzz/): linked with libFuzzer under
# --enable-fuzzing (make fuzz), else with a replay main() that make check
# runs on the seed corpora and on every input a fuzzer crashed on.
FUZZ_CFLAGS = $(AM_CFLAGS) $(CFITSIO_CFLAGS) -I$(top_srcdir)/core
check_PROGRAMS += tests/fuzz/fuzz_ini tests/fuzz/fuzz_events
tests_fuzz_fuzz_ini_SOURCES = tests/fuzz/fuzz_ini.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_ini_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_ini_LDADD = core/liboffbkg-private.la $(CFITSIO_LIBS) -ldl
tests_fuzz_fuzz_events_SOURCES = tests/fuzz/fuzz_events.c tests/fuzz/fuzz.h \
	tests/unit/storegen.h
tests_fuzz_fuzz_events_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_events_LDADD = core/liboffbkg-private.la $(CFITSIO_LIBS)
if FUZZING
tests_fuzz_fuzz_ini_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_fuzz_events_LDFLAGS = -fsanitize=fuzzer
else
tests_fuzz_fuzz_ini_SOURCES += tests/fuzz/replay.c
tests_fuzz_fuzz_events_SOURCES += tests/fuzz/replay.c
endif
dist_check_SCRIPTS += tests/fuzz/replay.sh
TESTS += tests/fuzz/replay.sh
EXTRA_DIST += tests/fuzz/corpus tests/fuzz/regress tests/valgrind.supp \
	tests/lsan.supp

# make fuzz: each target for FUZZ_SECONDS seconds, starting from the seed
# corpora; what it learns stays in fuzz-work/, crashes in
# fuzz-work/crashes/ (copy them to tests/fuzz/regress/ once fixed).
FUZZ_SECONDS = 60
FUZZ_WORK = fuzz-work
FUZZ_ENV = OFFBKG_PLUGIN_PATH='$(abs_top_builddir)/plugins' \
	ASAN_OPTIONS=allocator_may_return_null=1
FUZZ_FLAGS = -max_total_time=$(FUZZ_SECONDS) -timeout=30 -print_final_stats=1
fuzz: offbkg $(pkglib_LTLIBRARIES) tests/fuzz/fuzz_ini tests/fuzz/fuzz_events
if FUZZING
	rm -rf $(FUZZ_WORK)/seed-store
	mkdir -p $(FUZZ_WORK)/ini $(FUZZ_WORK)/events $(FUZZ_WORK)/crashes
	./offbkg simulate $(FUZZ_WORK)/seed-store -q --runs 2 --events 1000 \
		--mixed-compression
	cp $(FUZZ_WORK)/seed-store/data/* $(FUZZ_WORK)/events/
	$(FUZZ_ENV) tests/fuzz/fuzz_ini $(FUZZ_FLAGS) \
		-artifact_prefix=$(FUZZ_WORK)/crashes/ini- $(FUZZ_WORK)/ini \
		$(top_srcdir)/doc/examples $(top_srcdir)/tests/fuzz/corpus/ini \
		$(top_srcdir)/tests/fuzz/regress/ini
	$(FUZZ_ENV) tests/fuzz/fuzz_events $(FUZZ_FLAGS) \
		-artifact_prefix=$(FUZZ_WORK)/crashes/events- \
		$(FUZZ_WORK)/events $(top_srcdir)/tests/fuzz/regress/events
else
	@echo "make fuzz needs a build configured with CC=clang --enable-fuzzing"
	@exit 1
endif
clean-local: clean-fuzz clean-kit-stage
clean-fuzz:
	rm -rf $(FUZZ_WORK)
.PHONY: fuzz clean-fuzz
# The guarded open of every input (issue 15: non-regular files, tables
# whose header claims more rows than the file holds, gzip bombs,
# multi-member gzip, damaged model files read back, signals during a
# blocked open).
check_PROGRAMS += tests/tools/holdlease
tests_tools_holdlease_SOURCES = tests/tools/holdlease.c
dist_check_SCRIPTS += tests/robustness/input_files.sh
TESTS += tests/robustness/input_files.sh
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_input
TESTS += tests/unit/test_input
tests_unit_test_input_SOURCES = tests/unit/test_input.c \
	tests/unit/storegen.h
tests_unit_test_input_CFLAGS = $(UNIT_CFLAGS) $(CFITSIO_CFLAGS) \
	$(ZLIB_CFLAGS)
tests_unit_test_input_LDADD = $(UNIT_LDADD) $(CFITSIO_LIBS) $(ZLIB_LIBS)
endif
# Fuzz targets of the other FITS files offbkg reads (tests/fuzz/
# fuzz_tables.c, one program per kind): the index tables, a regions file,
# a model file read back, a catalog (as CSV and as FITS). Seeds: the
# simulated store's index tables, tests/fuzz/corpus/regions, the models of
# tests/tools/write_test_cubes, tests/fuzz/corpus/catalog.
FUZZ_TABLES = tests/fuzz/fuzz_obs_index tests/fuzz/fuzz_hdu_index \
	tests/fuzz/fuzz_regions tests/fuzz/fuzz_model tests/fuzz/fuzz_catalog
check_PROGRAMS += $(FUZZ_TABLES)
FUZZ_TABLES_SOURCES = tests/fuzz/fuzz_tables.c tests/fuzz/fuzz.h \
	tests/unit/storegen.h
FUZZ_TABLES_LDADD = core/liboffbkg-private.la $(CFITSIO_LIBS)
tests_fuzz_fuzz_obs_index_SOURCES = $(FUZZ_TABLES_SOURCES)
tests_fuzz_fuzz_obs_index_CFLAGS = $(FUZZ_CFLAGS) -DFUZZ_TABLE=1
tests_fuzz_fuzz_obs_index_LDADD = $(FUZZ_TABLES_LDADD)
tests_fuzz_fuzz_hdu_index_SOURCES = $(FUZZ_TABLES_SOURCES)
tests_fuzz_fuzz_hdu_index_CFLAGS = $(FUZZ_CFLAGS) -DFUZZ_TABLE=2
tests_fuzz_fuzz_hdu_index_LDADD = $(FUZZ_TABLES_LDADD)
tests_fuzz_fuzz_regions_SOURCES = $(FUZZ_TABLES_SOURCES)
tests_fuzz_fuzz_regions_CFLAGS = $(FUZZ_CFLAGS) -DFUZZ_TABLE=3
tests_fuzz_fuzz_regions_LDADD = $(FUZZ_TABLES_LDADD)
tests_fuzz_fuzz_model_SOURCES = $(FUZZ_TABLES_SOURCES)
tests_fuzz_fuzz_model_CFLAGS = $(FUZZ_CFLAGS) -DFUZZ_TABLE=4
tests_fuzz_fuzz_model_LDADD = $(FUZZ_TABLES_LDADD)
tests_fuzz_fuzz_catalog_SOURCES = $(FUZZ_TABLES_SOURCES)
tests_fuzz_fuzz_catalog_CFLAGS = $(FUZZ_CFLAGS) -DFUZZ_TABLE=5
tests_fuzz_fuzz_catalog_LDADD = $(FUZZ_TABLES_LDADD)
if FUZZING
tests_fuzz_fuzz_obs_index_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_fuzz_hdu_index_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_fuzz_regions_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_fuzz_model_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_fuzz_catalog_LDFLAGS = -fsanitize=fuzzer
else
tests_fuzz_fuzz_obs_index_SOURCES += tests/fuzz/replay.c
tests_fuzz_fuzz_hdu_index_SOURCES += tests/fuzz/replay.c
tests_fuzz_fuzz_regions_SOURCES += tests/fuzz/replay.c
tests_fuzz_fuzz_model_SOURCES += tests/fuzz/replay.c
tests_fuzz_fuzz_catalog_SOURCES += tests/fuzz/replay.c
endif
fuzz: fuzz-tables
fuzz-tables: offbkg tests/tools/write_test_cubes $(FUZZ_TABLES)
if FUZZING
	rm -rf $(FUZZ_WORK)/seed-tables
	mkdir -p $(FUZZ_WORK)/obs_index $(FUZZ_WORK)/hdu_index \
		$(FUZZ_WORK)/regions $(FUZZ_WORK)/model $(FUZZ_WORK)/catalog \
		$(FUZZ_WORK)/crashes
	./offbkg simulate $(FUZZ_WORK)/seed-tables -q --runs 2 --events 1000
	cp $(FUZZ_WORK)/seed-tables/obs-index.fits.gz $(FUZZ_WORK)/obs_index/
	cp $(FUZZ_WORK)/seed-tables/hdu-index.fits.gz $(FUZZ_WORK)/hdu_index/
	cp $(top_srcdir)/tests/fuzz/corpus/regions/* $(FUZZ_WORK)/regions/
	cp $(top_srcdir)/tests/fuzz/corpus/catalog/* $(FUZZ_WORK)/catalog/
	tests/tools/write_test_cubes $(FUZZ_WORK)/model
	for t in obs_index hdu_index regions model catalog; do \
	  $(FUZZ_ENV) tests/fuzz/fuzz_$$t $(FUZZ_FLAGS) \
	    -artifact_prefix=$(FUZZ_WORK)/crashes/$$t- $(FUZZ_WORK)/$$t \
	    $(top_srcdir)/tests/fuzz/regress/$$t || exit 1; \
	done
else
	@echo "make fuzz needs a build configured with CC=clang --enable-fuzzing"
	@exit 1
endif
.PHONY: fuzz-tables
# The repository stands on its own: no citation of notes outside it, and
# every doc/design.md or doc/domain.md citation names a section that
# exists (issue 16, item 4).
dist_check_SCRIPTS += tests/run/self_contained.sh
TESTS += tests/run/self_contained.sh
# liboffbkg exports its ABI and nothing else (issue 16, item 2).
AM_TESTS_ENVIRONMENT += NM='$(NM)'; export NM; \
	OFFBKG_LIBDIR='$(abs_top_builddir)/core/.libs'; export OFFBKG_LIBDIR; \
	OFFBKG_HEADERS='$(offbkginclude_HEADERS) $(nodist_offbkginclude_HEADERS)'; \
	OFFBKG_VERSION_H='$(abs_top_builddir)/include/offbkg/version.h'; \
	export OFFBKG_HEADERS OFFBKG_VERSION_H;
dist_check_SCRIPTS += tests/run/exports.sh
TESTS += tests/run/exports.sh
# Names say where they live, and core/README maps every file of core/
# (issue 16, item 3).
dist_check_SCRIPTS += tests/run/names.sh
TESTS += tests/run/names.sh
# The manual pages format without a groff warning.
dist_check_SCRIPTS += tests/run/manpages.sh
TESTS += tests/run/manpages.sh
# The match step end to end (issue 18): match/group bit for bit as
# before, nearest and zenith unbiased at the zenith-group edges against a
# simulation's truth, per-observation files, index rows and MATCH HDUs,
# [target] path, gammapy 1.0 on each observation's own model.
dist_check_SCRIPTS += tests/run/match.sh
TESTS += tests/run/match.sh
EXTRA_DIST += tests/gammapy/check_match.py
# The shipped match plugins' bad keys, match/zenith without a zenith
# grouping axis, unmatchable targets (skipped, or --strict failing).
dist_check_SCRIPTS += tests/robustness/match.sh
TESTS += tests/robustness/match.sh
# Whether a per-observation model is the weighted combination of two
# group models (doc/match.md §4), cell by cell (tests/run/match.sh).
check_PROGRAMS += tests/tools/bkg_combine
tests_tools_bkg_combine_SOURCES = tests/tools/bkg_combine.c
tests_tools_bkg_combine_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/core
tests_tools_bkg_combine_LDADD = core/liboffbkg-private.la
# offbkg validate's science on simulated stores (issue 19): no systematic
# found where the truth has none, a 5% run scatter found, the group
# models ranked below zenith interpolation and nearest runs on a
# zenith-dependent rate, a run with an unexcluded source an outlier.
dist_check_SCRIPTS += tests/run/validate.sh
TESTS += tests/run/validate.sh
# [exclude] outliers (issue 21): a bright unexcluded source makes exactly
# its runs outliers, and rejection leaves out exactly those.
dist_check_SCRIPTS += tests/run/outliers.sh
TESTS += tests/run/outliers.sh
# [plot]: the figures of run and validate, index.html in a headless
# Chromium (skipped, saying why, without PLplot, PIL or Chromium).
dist_check_SCRIPTS += tests/run/plot_index.sh
TESTS += tests/run/plot_index.sh
# [exclude] targets (issue 21): a source at the target of some runs of a
# simulated store biases the models without exclusion and not with
# targets = true; the warning, report.json and the store's key.
dist_check_SCRIPTS += tests/run/targets.sh
TESTS += tests/run/targets.sh
