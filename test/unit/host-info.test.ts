// The landing page's "Where the exporter runs" (src/host-info.ts): hostname,
// container, virtualization and hardware from file reads over trees shaped like
// real machines, and never a wait on the event loop.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { loadRuntimeInfo, type RuntimeInfoSources } from "../../src/host-info.js";
import { freshDir } from "../helpers/fixtures.js";

const FIRECRACKER_FLAGS = "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge hypervisor lahf_lm";
const BARE_METAL_FLAGS = "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge vmx lahf_lm";

/** A root with the given files (path relative to the root → content). */
function machine(files: Readonly<Record<string, string>>): string {
  const root = freshDir("host-info");
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
  }
  return root;
}

function sources(root: string, env: NodeJS.ProcessEnv = {}): RuntimeInfoSources {
  return { root, hostname: () => "node-7", env };
}

async function entries(root: string, env: NodeJS.ProcessEnv = {}): Promise<Record<string, string>> {
  return Object.fromEntries((await loadRuntimeInfo(5_000, sources(root, env))).entries);
}

describe("where the exporter runs", () => {
  it("a QEMU/KVM guest: the hypervisor from the firmware's names, the hardware from vendor and product", async () => {
    const root = machine({
      "sys/class/dmi/id/sys_vendor": "QEMU\n",
      "sys/class/dmi/id/product_name": "Standard PC (i440FX + PIIX, 1996)\n",
      "proc/cpuinfo": `processor\t: 0\n${FIRECRACKER_FLAGS}\n`,
    });
    assert.deepEqual(await entries(root), {
      hostname: "node-7",
      virtualization: "QEMU",
      hardware: "QEMU Standard PC (i440FX + PIIX, 1996)",
    });
  });

  it("Hyper-V and EC2 by their product and vendor names", async () => {
    const hyperV = machine({
      "sys/class/dmi/id/sys_vendor": "Microsoft Corporation\n",
      "sys/class/dmi/id/product_name": "Virtual Machine\n",
    });
    assert.equal((await entries(hyperV))["virtualization"], "Microsoft Hyper-V");
    const ec2 = machine({
      "sys/class/dmi/id/sys_vendor": "Amazon EC2\n",
      "sys/class/dmi/id/product_name": "m5.large\n",
    });
    assert.equal((await entries(ec2))["virtualization"], "Amazon EC2");
  });

  it("a guest whose firmware says nothing (Firecracker): the CPU's hypervisor flag", async () => {
    const root = machine({ "proc/cpuinfo": `processor\t: 0\n${FIRECRACKER_FLAGS}\n` });
    assert.deepEqual(await entries(root), { hostname: "node-7", virtualization: "virtual machine" });
  });

  it("bare metal: none detected, and the hardware named", async () => {
    const root = machine({
      "sys/class/dmi/id/sys_vendor": "Dell Inc.\n",
      "sys/class/dmi/id/product_name": "PowerEdge R650\n",
      "proc/cpuinfo": `processor\t: 0\n${BARE_METAL_FLAGS}\n`,
    });
    assert.deepEqual(await entries(root), {
      hostname: "node-7",
      virtualization: "none detected",
      hardware: "Dell Inc. PowerEdge R650",
    });
  });

  it("containers: a Kubernetes pod, Podman, Docker, or what systemd-nspawn and LXC declare", async () => {
    const podman = machine({ "run/.containerenv": 'engine="podman-4.3.1"\n' });
    assert.equal((await entries(podman))["container"], "Podman");
    assert.equal((await entries(podman, { KUBERNETES_SERVICE_HOST: "10.0.0.1" }))["container"], "Kubernetes pod");
    assert.equal((await entries(machine({ ".dockerenv": "" })))["container"], "Docker");
    assert.equal((await entries(machine({}), { container: "systemd-nspawn" }))["container"], "systemd-nspawn");
    assert.equal((await entries(machine({})))["container"], undefined);
  });

  it("nothing readable: the hostname, and 'none detected' rather than a guess", async () => {
    assert.deepEqual(await entries(path.join(freshDir("host-info"), "missing")), {
      hostname: "node-7",
      virtualization: "none detected",
    });
  });

  it("this process: reads files only, so the event loop keeps turning while they are read", async () => {
    let turns = 0;
    const ticker = setInterval(() => turns++, 1);
    const started = process.hrtime.bigint();
    const info = await loadRuntimeInfo(5_000);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    clearInterval(ticker);
    assert.equal(info.entries[0]?.[0], "hostname");
    assert.ok(
      info.entries.some(([label]) => label === "virtualization"),
      "virtualization is always said",
    );
    // A synchronous command would hold the loop for its whole run: no timer could fire before it ended.
    assert.ok(turns > 0 || elapsedMs < 2, `the loop did not turn in ${elapsedMs.toFixed(1)} ms`);
  });
});
