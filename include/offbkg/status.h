/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg status codes, shared by the host and by plugins. */
#ifndef OFFBKG_STATUS_H
#define OFFBKG_STATUS_H

#include <offbkg/api.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Return values of every fallible offbkg function and plugin operation:
 *  0 on success, a negative code on failure (the detail goes to the error
 *  message of the context or host table, never to stdout). */
typedef enum offbkg_status {
    OFFBKG_OK = 0,
    OFFBKG_ENOMEM = -1,     /**< out of memory */
    OFFBKG_EINVAL = -2,     /**< invalid argument or value */
    OFFBKG_EIO = -3,        /**< operating-system I/O error */
    OFFBKG_ECONFIG = -4,    /**< configuration error */
    OFFBKG_EPLUGIN = -5,    /**< plugin not found, unloadable or misbehaving */
    OFFBKG_EABI = -6,       /**< plugin built for an incompatible ABI */
    OFFBKG_EFITS = -7,      /**< FITS file unreadable or malformed */
    OFFBKG_EDATA = -8,      /**< input data unusable (e.g. no time, no events) */
    OFFBKG_ECANCELLED = -9, /**< the run was interrupted */
    OFFBKG_EEXIST = -10     /**< output exists and overwrite is off */
} offbkg_status_t;

/** Static English text for a status code ("unknown status" if not one). */
OFFBKG_API
const char *offbkg_strerror(int status);

#ifdef __cplusplus
}
#endif
#endif
