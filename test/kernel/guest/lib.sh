# SPDX-License-Identifier: GPL-2.0
# Shell helpers for commands the host runs in the guest (. /harness/lib.sh).

LP=/sys/kernel/livepatch
MODULES=/harness/modules

# kpid COMM: pids whose /proc/<pid>/comm is COMM (busybox pidof does not see
# kernel threads, which have an empty command line).
kpid() {
	for d in /proc/[0-9]*; do
		read -r c < "$d/comm" 2>/dev/null && [ "$c" = "$1" ] && echo "${d#/proc/}"
	done
	return 0
}

# transitions: the patches whose transition attribute reads 1, one per line.
transitions() {
	for t in "$LP"/*/transition; do
		[ -r "$t" ] && [ "$(cat "$t" 2>/dev/null)" = 1 ] && echo "${t%/transition}" | sed 's#.*/##'
	done
	return 0
}
