// SPDX-License-Identifier: GPL-2.0
/*
 * lp_second: a second, non-cumulative live patch that stacks on lp_basic.
 *
 * It replaces a different vmlinux function, execdomains_proc_show() (behind
 * /proc/execdomains, which nothing depends on), and prints the original line
 * with a marker appended.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int lp_second_execdomains_proc_show(struct seq_file *m, void *v)
{
	seq_puts(m, "0-0\tLinux           \t[kernel] LIVEPATCH-TEST lp_second\n");
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "execdomains_proc_show", .new_func = lp_second_execdomains_proc_show },
	{}
};

static struct klp_object objs[] = {
	{ .name = NULL /* vmlinux */, .funcs = funcs },
	{}
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int __init lp_second_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit lp_second_exit(void)
{
}

module_init(lp_second_init);
module_exit(lp_second_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("livepatch_exporter test: stacked live patch of execdomains_proc_show");
MODULE_INFO(livepatch, "Y");
