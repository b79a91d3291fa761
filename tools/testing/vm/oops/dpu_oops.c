// SPDX-License-Identifier: GPL-2.0
/*
 * A module that misbehaves on purpose, to prove that scripts/vm fails a run
 * whose kernel log shows a WARN, an oops or a BUG even when the command
 * itself succeeded.
 */
#include <linux/bug.h>
#include <linux/module.h>
#include <linux/string.h>

static char *mode = "warn";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "warn, oops or bug");

static int __init dpu_oops_init(void)
{
	if (!strcmp(mode, "warn")) {
		WARN(1, "dpupool vm test: deliberate warning\n");
	} else if (!strcmp(mode, "oops")) {
		int *volatile p = NULL;

		/* the oops kills insmod; the module stays half loaded */
		*p = 1;
	} else if (!strcmp(mode, "bug")) {
		BUG();
	} else {
		return -EINVAL;
	}
	return 0;
}

static void __exit dpu_oops_exit(void)
{
}

module_init(dpu_oops_init);
module_exit(dpu_oops_exit);
MODULE_DESCRIPTION("dpupool: deliberately failing module for runner tests");
MODULE_LICENSE("GPL");
