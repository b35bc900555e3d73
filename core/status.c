/* SPDX-License-Identifier: BSD-3-Clause
 * Status code texts and the library version. */
#include <config.h>

#include <offbkg/status.h>
#include <offbkg/version.h>

const char *offbkg_strerror(int status)
{
    switch (status) {
    case OFFBKG_OK: return "success";
    case OFFBKG_ENOMEM: return "out of memory";
    case OFFBKG_EINVAL: return "invalid argument";
    case OFFBKG_EIO: return "input/output error";
    case OFFBKG_ECONFIG: return "configuration error";
    case OFFBKG_EPLUGIN: return "plugin error";
    case OFFBKG_EABI: return "plugin ABI mismatch";
    case OFFBKG_EFITS: return "FITS error";
    case OFFBKG_EDATA: return "unusable input data";
    case OFFBKG_ECANCELLED: return "cancelled";
    case OFFBKG_EEXIST: return "output exists";
    default: return "unknown status";
    }
}

const char *offbkg_version(void)
{
    return OFFBKG_VERSION;
}
