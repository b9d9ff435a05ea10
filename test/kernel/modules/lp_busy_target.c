// SPDX-License-Identifier: GPL-2.0
/*
 * lp_busy_target: an ordinary module whose kernel thread never leaves the
 * function that the live patch lp_busy replaces.
 *
 * The consistency model switches a task to new code only when no function
 * being replaced is on its stack. The kthread "lp_busy_kthread" sleeps inside
 * busy_wait_fn() until the module is unloaded, so lp_busy's transition cannot
 * finish: it stays in transition until it is reversed or forced.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/module.h>

static struct task_struct *thread;

/* noinline and global: a real symbol the live patch can redirect. */
noinline unsigned long busy_wait_fn(void)
{
	unsigned long rounds = 0;

	while (!kthread_should_stop()) {
		msleep_interruptible(500);
		rounds++;
	}
	return rounds;
}

static int lp_busy_thread(void *unused)
{
	pr_info("kthread entering busy_wait_fn()\n");
	pr_info("kthread left busy_wait_fn() after %lu rounds\n", busy_wait_fn());
	return 0;
}

static int __init lp_busy_target_init(void)
{
	thread = kthread_run(lp_busy_thread, NULL, "lp_busy_kthread");
	return PTR_ERR_OR_ZERO(thread);
}

static void __exit lp_busy_target_exit(void)
{
	kthread_stop(thread);
}

module_init(lp_busy_target_init);
module_exit(lp_busy_target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("livepatch_exporter test: a kthread that sleeps in busy_wait_fn()");
