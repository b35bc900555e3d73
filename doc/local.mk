# SPDX-License-Identifier: BSD-3-Clause
dist_man_MANS += doc/offbkg.1 doc/offbkg.ini.5
