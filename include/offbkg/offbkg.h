/* SPDX-License-Identifier: BSD-3-Clause
 * Everything a plugin author may include, for convenience. */
#ifndef OFFBKG_OFFBKG_H
#define OFFBKG_OFFBKG_H

#include <offbkg/version.h>
#include <offbkg/status.h>
#include <offbkg/types.h>
#include <offbkg/plugin.h>
#include <offbkg/geom.h>
#include <offbkg/astro.h>
#include <offbkg/binning.h>

#endif
