# SPDX-License-Identifier: BSD-3-Clause
# make bench: the benchmark (README, "Performance"). Not part of make
# check: it simulates stores of 2x10^7 events and takes minutes.
EXTRA_PROGRAMS = bench/inflate_floor
bench_inflate_floor_SOURCES = bench/inflate_floor.c
bench_inflate_floor_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS)
bench_inflate_floor_LDADD = $(ZLIB_LIBS)
EXTRA_DIST += bench/run.sh bench/gammapy_2d.py bench/nofsync.c
CLEANFILES += bench/inflate_floor$(EXEEXT) bench/nofsync.so

# An LD_PRELOAD object whose fsync() does nothing: the bench measures the
# cost of syncing the outputs by the difference.
bench/nofsync.so: $(top_srcdir)/bench/nofsync.c
	@$(MKDIR_P) bench
	$(CC) -shared -fPIC -O2 -o $@ $(top_srcdir)/bench/nofsync.c

# OFFBKG_BENCH_DIR (default bench-data in the build tree) keeps the
# simulated stores between runs; OFFBKG_BENCH_SCALE=0.05 for a quick run.
# libtool --mode=execute hands run.sh the real program, not libtool's
# wrapper script, which cost 0.06 s per run of offbkg (more than the
# whole DR1 job with two threads).
bench: bench/inflate_floor$(EXEEXT) bench/nofsync.so offbkg$(EXEEXT) \
	$(pkglib_LTLIBRARIES)
	OFFBKG_PLUGIN_PATH='$(abs_top_builddir)/plugins' \
	INFLATE_FLOOR='$(abs_top_builddir)/bench/inflate_floor$(EXEEXT)' \
	NOFSYNC='$(abs_top_builddir)/bench/nofsync.so' \
	OFFBKG_DR1="$${OFFBKG_DR1:-}" \
	$(LIBTOOL) --mode=execute $(SHELL) $(top_srcdir)/bench/run.sh \
	  '$(abs_top_builddir)/offbkg$(EXEEXT)'
.PHONY: bench
