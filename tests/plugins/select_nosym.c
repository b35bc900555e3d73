/* SPDX-License-Identifier: BSD-3-Clause
 * Test-only module without the offbkg entry symbol: refused. */
#include <config.h>

int select_nosym_LTX_something_else(void);
int select_nosym_LTX_something_else(void)
{
    return 42;
}
