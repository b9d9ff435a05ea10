// Helpers for what the states do in the guest, through the agent.
import { waitFor } from "../../helpers/wait.js";
import { GUEST_PATHS } from "./layers.js";
import type { TestModule } from "./kernel.js";
import type { ExecResult, Vm } from "./vm.js";

export const koPath = (module: TestModule): string => `${GUEST_PATHS.modules}/${module}.ko`;

export async function insmod(vm: Vm, module: TestModule): Promise<void> {
  await vm.sh(`insmod ${koPath(module)}`);
}

/** An insmod that is expected to fail: its result. */
export function tryInsmod(vm: Vm, module: TestModule): Promise<ExecResult> {
  return vm.exec(`insmod ${koPath(module)}`);
}

/** Waits until /sys/kernel/livepatch lists exactly `patches` and none of them is in transition. */
export async function settle(vm: Vm, patches: readonly string[], timeoutMs = 60_000): Promise<void> {
  const want = [...patches].sort().join(" ");
  let seen = "";
  await waitFor(
    `/sys/kernel/livepatch to list [${want}] with no transition`,
    async () => {
      seen = (
        await vm.sh(". /harness/lib.sh; ls $LP | sort | tr '\\n' ' '; echo '|'; transitions | tr '\\n' ' '")
      ).trim();
      const [listed = "", moving = ""] = seen.split("|").map((s) => s.trim());
      return listed === want && moving === "";
    },
    timeoutMs,
    250,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)} (last seen: ${seen})`);
  });
}

/** The pids of kernel threads or processes whose comm is `comm`. */
export async function kpid(vm: Vm, comm: string): Promise<number[]> {
  const out = await vm.sh(`. /harness/lib.sh; kpid ${comm}`);
  return out.split("\n").filter(Boolean).map(Number);
}

/** Waits until the kernel log has a line matching `pattern` (a grep -E pattern). */
export async function waitKernelLog(vm: Vm, pattern: string, timeoutMs: number): Promise<void> {
  await waitFor(
    `the kernel log to show /${pattern}/`,
    async () => (await vm.exec(`dmesg | grep -qE '${pattern}'`)).rc === 0,
    timeoutMs,
    500,
  );
}

export async function readGuest(vm: Vm, path: string): Promise<string> {
  return vm.sh(`cat ${path}`);
}

/** A failed command's output in one line, for messages. */
export const output = (result: ExecResult): string => `${result.stdout}${result.stderr}`.trim();
