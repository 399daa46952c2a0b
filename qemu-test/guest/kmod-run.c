// SPDX-License-Identifier: GPL-2.0
/*
 * kmod-run MODULE PROGRAM [ARGS...]: load /lib/modules/MODULE.ko, then run PROGRAM in its place
 * (e.g. lib/test_hmm and the hmm-tests kselftest). Exits 1 when the module does not load.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hp.h"

int main(int argc, char **argv)
{
	int err;

	if (argc < 3) {
		fprintf(stderr, "usage: kmod-run MODULE PROGRAM [ARGS...]\n");
		return 2;
	}
	err = load_module(argv[1]);
	if (err) {
		printf("# kmod-run: loading %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	fflush(stdout);
	execv(argv[2], argv + 2);
	printf("# kmod-run: exec %s: %m\n", argv[2]);
	return 1;
}
