// SPDX-License-Identifier: GPL-2.0
/*
 * kunit-module MODULE SUITE CASES: load the KUnit test module MODULE and check that its suite
 * SUITE ran CASES cases and that all of them passed (none skipped).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hp.h"

static const char *module, *suite;
static int expected_cases;

static bool kunit_suite_passes(void)
{
	int err, cases, failed;

	err = load_module(module);
	CHECK(!err, "loading %s.ko: %s", module, strerror(-err));
	CHECK(kunit_suite_results(suite, &cases, &failed),
	      "no KUnit results for %s (CONFIG_KUNIT_DEBUGFS? kunit.enable=1?)", suite);
	CHECK(cases == expected_cases, "the suite reported %d cases, not %d", cases,
	      expected_cases);
	CHECK(!failed, "%d of the suite's cases failed or were skipped", failed);
	return true;
}

int main(int argc, char **argv)
{
	static const struct hp_case cases[] = {
		{ "kunit_suite_passes", kunit_suite_passes },
	};

	if (argc != 4) {
		fprintf(stderr, "usage: kunit-module MODULE SUITE CASES\n");
		return 2;
	}
	module = argv[1];
	suite = argv[2];
	expected_cases = atoi(argv[3]);
	return hp_run(cases, 1);
}
