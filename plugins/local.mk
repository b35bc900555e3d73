# SPDX-License-Identifier: BSD-3-Clause
# Plugins: plugins/<stage>_<name>.c builds module <stage>_<name>.
PLUGIN_LIBADD = core/liboffbkg.la

if BUILD_PLUGIN_SELECT_ALL
pkglib_LTLIBRARIES += plugins/select_all.la
endif
plugins_select_all_la_SOURCES = plugins/select_all.c
plugins_select_all_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_select_all_la_LIBADD = $(PLUGIN_LIBADD)

if BUILD_PLUGIN_SELECT_OFFPLANE
pkglib_LTLIBRARIES += plugins/select_offplane.la
endif
plugins_select_offplane_la_SOURCES = plugins/select_offplane.c
plugins_select_offplane_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_select_offplane_la_LIBADD = $(PLUGIN_LIBADD)

if BUILD_PLUGIN_SELECT_LIST
pkglib_LTLIBRARIES += plugins/select_list.la
endif
plugins_select_list_la_SOURCES = plugins/select_list.c
plugins_select_list_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_select_list_la_LIBADD = $(PLUGIN_LIBADD)

# Conditions on obs-index columns, shared by the select plugins column
# and quality; compiled into each, exported by none.
COND_SOURCES = plugins/shared/cond.c plugins/shared/cond.h

if BUILD_PLUGIN_SELECT_COLUMN
pkglib_LTLIBRARIES += plugins/select_column.la
endif
plugins_select_column_la_SOURCES = plugins/select_column.c $(COND_SOURCES)
plugins_select_column_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_select_column_la_LIBADD = $(PLUGIN_LIBADD)

if BUILD_PLUGIN_SELECT_QUALITY
pkglib_LTLIBRARIES += plugins/select_quality.la
endif
plugins_select_quality_la_SOURCES = plugins/select_quality.c $(COND_SOURCES)
plugins_select_quality_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_select_quality_la_LIBADD = $(PLUGIN_LIBADD)

if BUILD_PLUGIN_GROUP_ZENITH
pkglib_LTLIBRARIES += plugins/group_zenith.la
endif
plugins_group_zenith_la_SOURCES = plugins/group_zenith.c
plugins_group_zenith_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_group_zenith_la_LIBADD = $(PLUGIN_LIBADD)

if BUILD_PLUGIN_GROUP_BINS
pkglib_LTLIBRARIES += plugins/group_bins.la
endif
plugins_group_bins_la_SOURCES = plugins/group_bins.c
plugins_group_bins_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_group_bins_la_LIBADD = $(PLUGIN_LIBADD)

# Shared by the model plugins; compiled into each, exported by none.
MODEL_GRID_SOURCES = plugins/shared/model_grid.c plugins/shared/model_grid.h
MODEL_GRID_SOURCES += plugins/shared/bin_lookup.c plugins/shared/bin_lookup.h \
	plugins/shared/radec_bins.c plugins/shared/radec_bins.h \
	plugins/shared/near_unit.h

if BUILD_PLUGIN_MODEL_2D
pkglib_LTLIBRARIES += plugins/model_2d.la
endif
plugins_model_2d_la_SOURCES = plugins/model_2d.c $(MODEL_GRID_SOURCES)
plugins_model_2d_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_model_2d_la_LIBADD = $(PLUGIN_LIBADD)

if BUILD_PLUGIN_MODEL_3D
pkglib_LTLIBRARIES += plugins/model_3d.la
endif
plugins_model_3d_la_SOURCES = plugins/model_3d.c $(MODEL_GRID_SOURCES)
plugins_model_3d_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_model_3d_la_LIBADD = $(PLUGIN_LIBADD)

# The smoothers share the static helpers of smooth-private.h.
if BUILD_PLUGIN_SMOOTH_GAUSS1D
pkglib_LTLIBRARIES += plugins/smooth_gauss1d.la
endif
plugins_smooth_gauss1d_la_SOURCES = plugins/smooth_gauss1d.c \
	plugins/smooth-private.h
plugins_smooth_gauss1d_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_smooth_gauss1d_la_LIBADD = $(PLUGIN_LIBADD)

if BUILD_PLUGIN_SMOOTH_K5A
pkglib_LTLIBRARIES += plugins/smooth_k5a.la
endif
plugins_smooth_k5a_la_SOURCES = plugins/smooth_k5a.c plugins/smooth-private.h
plugins_smooth_k5a_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_smooth_k5a_la_LIBADD = $(PLUGIN_LIBADD)

if BUILD_PLUGIN_SMOOTH_GAUSS2D
pkglib_LTLIBRARIES += plugins/smooth_gauss2d.la
endif
plugins_smooth_gauss2d_la_SOURCES = plugins/smooth_gauss2d.c \
	plugins/smooth-private.h
plugins_smooth_gauss2d_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_smooth_gauss2d_la_LIBADD = $(PLUGIN_LIBADD)

# The match plugins; nearest and zenith share plugins/shared/match_common.
if BUILD_PLUGIN_MATCH_GROUP
pkglib_LTLIBRARIES += plugins/match_group.la
endif
plugins_match_group_la_SOURCES = plugins/match_group.c
plugins_match_group_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_match_group_la_LIBADD = $(PLUGIN_LIBADD)

MATCH_COMMON_SOURCES = plugins/shared/match_common.c \
	plugins/shared/match_common.h

if BUILD_PLUGIN_MATCH_NEAREST
pkglib_LTLIBRARIES += plugins/match_nearest.la
endif
plugins_match_nearest_la_SOURCES = plugins/match_nearest.c \
	$(MATCH_COMMON_SOURCES)
plugins_match_nearest_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_match_nearest_la_LIBADD = $(PLUGIN_LIBADD)

if BUILD_PLUGIN_MATCH_ZENITH
pkglib_LTLIBRARIES += plugins/match_zenith.la
endif
plugins_match_zenith_la_SOURCES = plugins/match_zenith.c \
	$(MATCH_COMMON_SOURCES)
plugins_match_zenith_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_match_zenith_la_LIBADD = $(PLUGIN_LIBADD)
