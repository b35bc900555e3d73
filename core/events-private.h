/* SPDX-License-Identifier: BSD-3-Clause
 * A run's events, read once: ENERGY (TeV), RA, DEC, TIME as doubles, in
 * chunks, with non-finite rows and ENERGY <= 0 dropped and counted. The
 * buffers are reused from run to run, so memory stays at one run's
 * events per reader. */
#ifndef OFFBKG_EVENTS_PRIVATE_H
#define OFFBKG_EVENTS_PRIVATE_H

#include "datastore-private.h"
#include "fitsmem-private.h"

typedef struct offbkg_events {
    size_t n;                   /**< events kept */
    size_t cap;
    double *energy_tev;
    double *ra_deg;
    double *dec_deg;
    double *time_s;
    size_t n_rows;              /**< rows in the EVENTS table */
    size_t n_nonfinite;         /**< rows dropped: NaN or inf */
    size_t n_bad_energy;        /**< rows dropped: ENERGY <= 0 */
    offbkg_run_header_t header; /**< the EVENTS header and GTI */
    char *path;                 /**< the file read */
    offbkg_fitsmem_t mem;       /**< its leading HDUs, in memory */
    bool want_crc;              /**< set by the caller: take crc */
    bool crc_known;             /**< crc is the CRC-32 (zlib's) of the
                                     file's bytes, as they were read */
    uint32_t crc;
} offbkg_events_t;

/** Read the events of @p obs_id into @p ev (reusing its buffers). A
 *  missing file, HDU or column is OFFBKG_EDATA/OFFBKG_EFITS naming the
 *  file. Several 'events' rows for the run: the first, with a warning. */
int offbkg_events_read(offbkg_ctx_t *ctx, const offbkg_datastore_t *store,
                       int64_t obs_id, offbkg_events_t *ev);

void offbkg_events_free(offbkg_events_t *ev);

/** The factor from energy unit @p unit to TeV ("TeV", "GeV", "MeV",
 *  "keV", "eV", case-insensitive; "" means TeV as GADF says); 0 if
 *  unknown. */
double offbkg_events_energy_unit_to_tev(const char *unit);

#endif
