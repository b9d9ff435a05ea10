// /proc/<pid>/task/<tid>/stack: a task's kernel stack, innermost frame first,
// fs/proc/base.c proc_pid_stack():
//
//   before 4.6   "[<%pK>] %pS\n"   "[<ffffffffa03da018>] busy_wait_fn+0x18/0x2a [lp_busy_target]"
//   4.6-4.16     "[<%pK>] %pB\n"   (%pB: a return address resolves to its call, not the next function)
//   4.17+        "[<0>] %pB\n"     the address is no longer shown
//
// An address without a symbol prints as hex and has no frame to name.

export interface StackFrame {
  readonly symbol: string;
  readonly offset: number;
  /** The module of the code; undefined for vmlinux. */
  readonly module: string | undefined;
  /** The frame as the kernel printed it, without the address column. */
  readonly text: string;
}

const FRAME = /^\[<[0-9a-fA-Fx]*>\] (([A-Za-z_.$][\w.$]*)\+0x([0-9a-f]+)\/0x[0-9a-f]+(?: \[([^\]\s]+)\])?)\s*$/;

/** The frames of a stack, innermost first; lines that name no symbol are left out. */
export function parseKernelStack(text: string): StackFrame[] {
  const frames: StackFrame[] = [];
  for (const line of text.split("\n")) {
    const [, whole, symbol, offset, module] = FRAME.exec(line) ?? [];
    if (whole === undefined || symbol === undefined || offset === undefined) continue;
    frames.push({ symbol, offset: Number.parseInt(offset, 16), module, text: whole });
  }
  return frames;
}
