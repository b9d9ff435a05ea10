// Who had the machine's CPU while the rule groups were watched: Prometheus,
// the simulator (its own process: the plan, the live server) and the machine
// as a whole. On a small machine, the live scrapes of thousands of hosts and
// the simulator's answers to them take the cores a group's evaluation waits
// for; these figures say when an evaluation's time measured the machine.
import fs from "node:fs";
import os from "node:os";
import { cpuSeconds } from "../processes.js";

export interface CpuShare {
  /** Wall seconds the window lasted. */
  readonly seconds: number;
  readonly cores: number;
  /** Cores' worth of CPU each used on average over the window. */
  readonly prometheusCores: number;
  readonly simulatorCores: number;
  /** Share of the machine's CPU time idle (or waiting for I/O) over the window, 0 to 1. */
  readonly idleShare: number;
}

interface Mark {
  readonly wall: number;
  readonly prometheus: number;
  readonly simulator: number;
  readonly machine: { readonly idle: number; readonly total: number };
}

/** A window over which CPU use is measured: `end()` gives the shares since the mark. */
export function cpuWindow(prometheusPid: number): { end(): CpuShare } {
  const start = mark(prometheusPid);
  return {
    end(): CpuShare {
      const stop = mark(prometheusPid);
      const seconds = Math.max(1e-3, (stop.wall - start.wall) / 1000);
      const total = stop.machine.total - start.machine.total;
      return {
        seconds,
        cores: os.availableParallelism(),
        prometheusCores: (stop.prometheus - start.prometheus) / seconds,
        simulatorCores: (stop.simulator - start.simulator) / seconds,
        idleShare: total > 0 ? (stop.machine.idle - start.machine.idle) / total : 1,
      };
    },
  };
}

/** Whether the machine had no CPU to spare: less than a fifth of it idle. */
export function saturated(share: CpuShare): boolean {
  return share.idleShare < 0.2;
}

function mark(prometheusPid: number): Mark {
  const usage = process.cpuUsage();
  let prometheus = 0;
  try {
    prometheus = cpuSeconds(prometheusPid);
  } catch {
    // It exited; the report says 0.
  }
  return { wall: Date.now(), prometheus, simulator: (usage.user + usage.system) / 1e6, machine: machineTicks() };
}

/** The first line of /proc/stat: time every CPU spent in each state since boot, in ticks. */
function machineTicks(): { idle: number; total: number } {
  const line = fs.readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest and guest_nice are inside user and nice).
  const states = ticks.slice(0, 8);
  return {
    idle: (states[3] ?? 0) + (states[4] ?? 0),
    total: states.reduce((sum, t) => sum + (Number.isFinite(t) ? t : 0), 0),
  };
}
