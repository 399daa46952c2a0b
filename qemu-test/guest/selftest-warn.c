// SPDX-License-Identifier: GPL-2.0
/* Harness self-test: a WARN in the guest's dmesg, which must fail the run though this passes. */
#include <string.h>

#include "hp.h"

static bool warn_through_lkdtm(void)
{
	int err = write_file("/sys/kernel/debug/provoke-crash/DIRECT", "WARNING");

	CHECK(!err, "LKDTM WARNING: %s", strerror(-err));
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = { { "warn_through_lkdtm", warn_through_lkdtm } };

	return hp_run(cases, 1);
}
