// SPDX-License-Identifier: GPL-2.0
/*
 * lp_busy: a live patch of busy_wait_fn() in the module lp_busy_target (an
 * object that is a module, not vmlinux).
 *
 * lp_busy_target's kthread never leaves the old busy_wait_fn(), so this
 * patch's transition cannot complete on its own: /sys/kernel/livepatch/lp_busy/
 * transition stays 1 until the transition is forced (echo 1 > force) or
 * reversed (echo 0 > enabled).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/livepatch.h>
#include <linux/module.h>

static noinline unsigned long lp_busy_wait_fn(void)
{
	unsigned long rounds = 0;

	while (!kthread_should_stop()) {
		msleep_interruptible(1000);
		rounds++;
	}
	return rounds;
}

static struct klp_func funcs[] = {
	{ .old_name = "busy_wait_fn", .new_func = lp_busy_wait_fn },
	{}
};

static struct klp_object objs[] = {
	{ .name = "lp_busy_target", .funcs = funcs },
	{}
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int __init lp_busy_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit lp_busy_exit(void)
{
}

module_init(lp_busy_init);
module_exit(lp_busy_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("livepatch_exporter test: live patch of a function a kthread never leaves");
MODULE_INFO(livepatch, "Y");
