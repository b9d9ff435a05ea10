// SPDX-License-Identifier: GPL-2.0
/*
 * lp_basic: a live patch of a vmlinux function whose effect user space can see.
 *
 * It replaces cmdline_proc_show(), the show routine of /proc/cmdline. While the
 * patch is active, /proc/cmdline prints a marker line instead of the boot
 * command line (saved_command_line is not exported to modules), which proves
 * that the kernel really runs the new code.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int lp_basic_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_puts(m, "LIVEPATCH-TEST lp_basic\n");
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = lp_basic_cmdline_proc_show },
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

static int __init lp_basic_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit lp_basic_exit(void)
{
}

module_init(lp_basic_init);
module_exit(lp_basic_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("livepatch_exporter test: live patch of cmdline_proc_show");
MODULE_INFO(livepatch, "Y");
