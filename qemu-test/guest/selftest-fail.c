// SPDX-License-Identifier: GPL-2.0
/* Harness self-test: a guest test that fails, which must fail the run. */
#include "hp.h"

static bool fails_on_purpose(void)
{
	CHECK(memory_block_size() == 1, "harness self-test: this check fails on purpose");
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = { { "fails_on_purpose", fails_on_purpose } };

	return hp_run(cases, 1);
}
