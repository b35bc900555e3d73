/* SPDX-License-Identifier: BSD-3-Clause
 * The libFuzzer entry points of the fuzz targets. Built with
 * --enable-fuzzing they are linked with -fsanitize=fuzzer; otherwise with
 * replay.c, which runs them on files, so make check replays the seed
 * corpora and every input a fuzzer ever crashed on. */
#ifndef OFFBKG_TESTS_FUZZ_H
#define OFFBKG_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
