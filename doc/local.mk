# SPDX-License-Identifier: BSD-3-Clause
dist_man_MANS += doc/offbkg.1 doc/offbkg.ini.5
# The plugin kit: offbkg-plugin(7), the developer guide, and the
# out-of-tree example plugin (installed, so users build it from there).
dist_man_MANS += doc/offbkg-plugin.7
EXTRA_DIST += doc/plugin-guide.md
# How the tests start a one-node Slurm cluster.
EXTRA_DIST += doc/slurm.md
pluginexampledir = $(docdir)/examples/plugin
dist_pluginexample_DATA = doc/examples/plugin/README \
	doc/examples/plugin/Makefile doc/examples/plugin/group_azimuth.c \
	doc/examples/plugin/test_group_azimuth.c doc/examples/plugin/azimuth.ini
# The design, the domain knowledge and the contribution store's format
# the code relies on (cited by the code's comments, the installed
# headers' too, as doc/design.md §N, doc/domain.md §N, doc/store.md §N,
# doc/match.md §N, doc/validate.md §N, doc/plot.md §N and doc/exclude.md
# §N), installed in $(docdir).
dist_doc_DATA = doc/design.md doc/domain.md doc/store.md doc/match.md \
	doc/validate.md doc/plot.md doc/exclude.md
