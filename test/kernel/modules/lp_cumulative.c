// SPDX-License-Identifier: GPL-2.0
/*
 * lp_cumulative: a cumulative live patch (.replace = true).
 *
 * Enabling it replaces every live patch loaded before it: once its transition
 * completes, the older patches are disabled and leave /sys/kernel/livepatch,
 * while their modules stay loaded. It patches cmdline_proc_show() only, so a
 * function that only an older patch changed (execdomains_proc_show) runs its
 * original code again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int lp_cumulative_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_puts(m, "LIVEPATCH-TEST lp_cumulative\n");
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = lp_cumulative_cmdline_proc_show },
	{}
};

static struct klp_object objs[] = {
	{ .name = NULL /* vmlinux */, .funcs = funcs },
	{}
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
	.replace = true,
};

static int __init lp_cumulative_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit lp_cumulative_exit(void)
{
}

module_init(lp_cumulative_init);
module_exit(lp_cumulative_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("livepatch_exporter test: cumulative (atomic replace) live patch");
MODULE_INFO(livepatch, "Y");
