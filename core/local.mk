# SPDX-License-Identifier: BSD-3-Clause
# liboffbkg (the host library) and the offbkg command.
#
# liboffbkg.la is the public library: the pure helpers include/offbkg/
# declares, compiled with hidden visibility so that it exports what the
# headers mark OFFBKG_API and nothing else (tests/run/exports.sh). The
# rest of the host is the convenience library liboffbkg-private.la, never
# installed: the offbkg command and the tests link it (and through it
# liboffbkg), so each function is in the process once. Plugins link
# liboffbkg and reach the rest of the host through the host table.
lib_LTLIBRARIES += core/liboffbkg.la
core_liboffbkg_la_SOURCES = \
	core/status.c \
	core/obs_table.c \
	core/geom.c \
	core/astro.c \
	core/binning.c \
	core/cube.c
core_liboffbkg_la_CFLAGS = $(AM_CFLAGS) $(VISIBILITY_CFLAGS)
core_liboffbkg_la_LDFLAGS = -no-undefined \
	-version-info $(LIBOFFBKG_VERSION_INFO)

noinst_LTLIBRARIES += core/liboffbkg-private.la
core_liboffbkg_private_la_SOURCES = \
	core/ctx.c core/ctx-private.h \
	core/error.c core/error-private.h \
	core/log.c core/log-private.h \
	core/diag.c core/diag-private.h \
	core/ini.c core/ini-private.h \
	core/params.c core/params-private.h \
	core/path.c core/path-private.h \
	core/registry.c core/registry-private.h \
	core/host.c core/host-private.h \
	core/runconf.c core/runconf-private.h \
	core/instance.c core/instance-private.h \
	core/preflight.c core/preflight-private.h \
	core/output.c core/output-private.h \
	core/fitssum.c core/fitssum-private.h \
	core/finite.c core/finite-private.h \
	core/outset.c core/outset-private.h \
	core/input.c core/input-private.h \
	core/table.c core/table-private.h \
	core/fitshdr.c core/fitshdr-private.h \
	core/datastore.c core/datastore-private.h \
	core/irf_class.c core/irf_class-private.h \
	core/run_header.c core/run_header-private.h \
	core/select.c core/select-private.h \
	core/group.c core/group-private.h \
	core/events.c core/events-private.h \
	core/fitsmem.c core/fitsmem-private.h \
	core/inflate.c core/inflate-private.h \
	core/deflate.c core/deflate-private.h \
	core/exclude.c core/exclude-private.h \
	core/catalog.c core/catalog-private.h \
	core/csv.c core/csv-private.h \
	core/target.c core/target-private.h \
	core/model.c core/model-private.h \
	core/model_keep.c core/model_keep-private.h \
	core/match.c \
	core/model_write.c core/model_write-private.h \
	core/match_write.c core/match_write-private.h \
	core/written.c core/written-private.h \
	core/smooth.c core/smooth-private.h \
	core/pipeline.c core/pipeline-private.h \
	core/parallel.c core/parallel-private.h \
	core/rng.c core/rng-private.h \
	core/index.c core/index-private.h \
	core/report.c core/report-private.h \
	core/provenance.c core/provenance-private.h \
	core/store.c core/store-private.h \
	core/model_store.c core/model_store-private.h core/match-private.h \
	core/sim.c core/sim_write.c core/sim-private.h \
	core/stats.c core/stats-private.h \
	core/validate.c core/validate-private.h \
	core/validate_write.c \
	core/outliers.c core/outliers-private.h \
	core/bkg.c core/bkg-private.h \
	core/plot.c core/plot-private.h \
	core/plot_model.c core/plot_model-private.h \
	core/plot_index.c core/plot_index-private.h \
	core/plot_validation.c core/plot_validation-private.h \
	core/plot_outputs.c core/plot_outputs-private.h
core_liboffbkg_private_la_CFLAGS = $(AM_CFLAGS) $(CFITSIO_CFLAGS) \
	$(ZLIB_CFLAGS) $(ISAL_CFLAGS) $(PLPLOT_CFLAGS)
core_liboffbkg_private_la_LIBADD = core/liboffbkg.la $(CFITSIO_LIBS) \
	$(LIBLTDL) $(PTHREAD_LIBS) $(ZLIB_LIBS) $(ISAL_LIBS) $(PLPLOT_LIBS)

# Which file of core/ does what (tests/run/names.sh checks it is complete).
EXTRA_DIST += core/README

offbkgincludedir = $(includedir)/offbkg
offbkginclude_HEADERS = \
	include/offbkg/offbkg.h \
	include/offbkg/api.h \
	include/offbkg/astro.h \
	include/offbkg/binning.h \
	include/offbkg/geom.h \
	include/offbkg/plugin.h \
	include/offbkg/status.h \
	include/offbkg/types.h
nodist_offbkginclude_HEADERS = include/offbkg/version.h

bin_PROGRAMS += offbkg
offbkg_SOURCES = \
	core/cli/cli.h \
	core/cli/main.c \
	core/cli/cmd_config.c \
	core/cli/cmd_pipeline.c \
	core/cli/cmd_plugins.c \
	core/cli/cmd_simulate.c \
	core/cli/cmd_plot.c \
	core/cli/plot_config.c \
	core/cli/validate_summary.c
offbkg_CFLAGS = $(AM_CFLAGS) $(CFITSIO_CFLAGS)
offbkg_LDADD = core/liboffbkg-private.la $(CFITSIO_LIBS)
