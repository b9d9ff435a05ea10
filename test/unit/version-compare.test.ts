import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dpkgVerRevCmp, rpmVerCmp, versionSchemeFor } from "../../src/parse/version-compare.js";
import { kernelFlavour, newestOfFlavour, releaseFromKernelImage } from "../../src/parse/kernel-release.js";

const sign = (n: number): number => Math.sign(n);

describe("dpkg version order", () => {
  const cases: [string, string, number][] = [
    ["6.1.0-9-amd64", "6.1.0-10-amd64", -1],
    ["6.1.0-56-amd64", "6.1.0-56-amd64", 0],
    ["5.15.0-91-generic", "5.15.0-101-generic", -1],
    ["1.0~rc1", "1.0", -1],
    ["1.0", "1.0+b1", -1],
    ["1.0a", "1.0", 1],
    ["1.00", "1.0", 0],
    ["6.10.0-1-amd64", "6.9.0-1-amd64", 1],
    ["", "0", 0],
  ];
  for (const [a, b, expected] of cases) {
    it(`${a} vs ${b}`, () => {
      assert.equal(sign(dpkgVerRevCmp(a, b)), expected);
      assert.equal(sign(dpkgVerRevCmp(b, a)), 0 - expected || 0);
    });
  }
});

describe("rpm version order", () => {
  const cases: [string, string, number][] = [
    ["5.14.0-427.13.1.el9_4.x86_64", "5.14.0-503.11.1.el9_5.x86_64", -1],
    ["5.14.0-70.13.1.el9_0.x86_64", "5.14.0-427.13.1.el9_4.x86_64", -1],
    ["4.18.0-553.el8_10", "4.18.0-553.el8_10", 0],
    ["1.0~rc1", "1.0", -1],
    ["1.0^git1", "1.0", 1],
    ["1.0a", "1.0.1", -1],
    ["2.0", "2.a", 1],
    ["1.01", "1.1", 0],
  ];
  for (const [a, b, expected] of cases) {
    it(`${a} vs ${b}`, () => {
      assert.equal(sign(rpmVerCmp(a, b)), expected);
      assert.equal(sign(rpmVerCmp(b, a)), 0 - expected || 0);
    });
  }
});

describe("kernel releases", () => {
  it("picks the ordering from os-release", () => {
    assert.equal(versionSchemeFor("debian", undefined), "dpkg");
    assert.equal(versionSchemeFor("ubuntu", "debian"), "dpkg");
    assert.equal(versionSchemeFor("rocky", "rhel centos fedora"), "rpm");
    assert.equal(versionSchemeFor("sles", "suse"), "rpm");
    assert.equal(versionSchemeFor(undefined, undefined), "dpkg");
  });

  it("flavours", () => {
    assert.equal(kernelFlavour("6.1.0-56-amd64"), "-amd64");
    assert.equal(kernelFlavour("6.1.0-56-cloud-amd64"), "-cloud-amd64");
    assert.equal(kernelFlavour("6.8.0-45-generic"), "-generic");
    assert.equal(kernelFlavour("5.14.0-427.13.1.el9_4.x86_64"), ".x86_64");
    assert.equal(kernelFlavour("5.14.0-503.11.1.el9_5.x86_64+debug"), ".x86_64+debug");
    assert.equal(kernelFlavour("6.5.6-300.fc39.x86_64"), ".x86_64");
    assert.equal(kernelFlavour("5.14.21-150500.55.39-default"), "-default");
  });

  it("newest of the running flavour", () => {
    const installed = ["6.1.0-9-amd64", "6.1.0-57-cloud-amd64", "6.1.0-56-amd64", "6.1.0-10-amd64"];
    assert.equal(newestOfFlavour("dpkg", "6.1.0-10-amd64", installed), "6.1.0-56-amd64");
    assert.equal(newestOfFlavour("dpkg", "6.1.0-57-cloud-amd64", installed), "6.1.0-57-cloud-amd64");
    assert.equal(newestOfFlavour("dpkg", "6.8.0-1-generic", installed), undefined);
  });

  it("kernel image names", () => {
    assert.equal(releaseFromKernelImage("vmlinuz-6.1.0-27-amd64"), "6.1.0-27-amd64");
    assert.equal(releaseFromKernelImage("vmlinuz-5.14.0-427.el9.x86_64"), "5.14.0-427.el9.x86_64");
    assert.equal(releaseFromKernelImage("vmlinuz-0-rescue-abcdef"), undefined);
    assert.equal(releaseFromKernelImage("vmlinuz-6.1.0-27-amd64.old"), undefined);
    assert.equal(releaseFromKernelImage("config-6.1.0-27-amd64"), undefined);
    assert.equal(releaseFromKernelImage("vmlinuz"), undefined);
  });
});
