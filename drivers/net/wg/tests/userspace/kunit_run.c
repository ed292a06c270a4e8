// SPDX-License-Identifier: GPL-2.0
/* Runs the KUnit suite ../allowedips_test.c in userspace (kunit_shim.h). */
#include "kunit_shim.h"
#include "allowedips.c"
#include "../allowedips_test.c"

static int failures;

void shim_kunit_fail(struct kunit *test, bool fatal, int line,
		     const char *what, long long a, long long b)
{
	fprintf(stderr, "%s: allowedips_test.c:%d: %s failed (%lld, %lld)\n",
		test->name, line, what, a, b);
	test->failed = 1;
	if (++failures > 20 || fatal)
		exit(1);
}

void *shim_kunit_alloc(struct kunit *test, size_t n, size_t size)
{
	void *p = calloc(n, size);

	assert(test->nallocs < 64);
	test->allocs[test->nallocs++] = p;
	return p;
}

int main(void)
{
	struct kunit_suite *suite = shim_kunit_suite;
	struct kunit_case *c;
	int bad = 0;

	if (suite->suite_init && suite->suite_init(suite))
		return 1;
	for (c = suite->test_cases; c->run_case; ++c) {
		struct kunit test = { .name = c->name };

		c->run_case(&test);
		rcu_barrier();
		while (test.nallocs)
			free(test.allocs[--test.nallocs]);
		printf("    %s %s\n", test.failed ? "not ok" : "ok", c->name);
		bad |= test.failed;
	}
	if (shim_live_objects) {
		printf("# %ld trie nodes leaked\n", shim_live_objects);
		bad = 1;
	}
	if (suite->suite_exit)
		suite->suite_exit(suite);
	printf("%s %s\n", bad ? "not ok" : "ok", suite->name);
	return bad;
}
