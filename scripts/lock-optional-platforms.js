#!/usr/bin/env node
/*
 * Some registries (this workplace's mirror among them) serve only the Linux builds of packages that ship
 * per-platform binaries as optional dependencies (@swc/core, unrs-resolver). `npm install` then writes a lock
 * without the other platforms' entries, and `npm ci` refuses that lock ("Missing: … from lock file").
 * This adds, for each optional dependency the lock lacks, an entry marked optional with the os/cpu its name
 * states, so `npm ci` validates the lock and skips those packages on this platform, as it would anyway.
 * Run it after any `npm install` that changes package-lock.json.
 */
const fs = require('node:fs');
const path = require('node:path');

const lockPath = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
const OS = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openharmony', 'sunos', 'aix'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'wasm32'];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p)) ?? (parts.includes('armv7') ? 'arm' : undefined);
  if (!os || !cpu) return undefined;
  const libc =
    parts.includes('musl') || parts.includes('musleabihf')
      ? 'musl'
      : parts.includes('gnu') || parts.includes('gnueabihf')
        ? 'glibc'
        : undefined;
  return { os, cpu, libc };
}

let added = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  if (!entry.optionalDependencies || key === '') continue;
  for (const [dep, version] of Object.entries(entry.optionalDependencies)) {
    const depKey = `node_modules/${dep}`;
    if (lock.packages[depKey] || lock.packages[`${key}/node_modules/${dep}`]) continue;
    const platform = platformOf(dep);
    if (!platform || (platform.os === process.platform && platform.cpu === process.arch)) continue;
    lock.packages[depKey] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      os: [platform.os],
      cpu: [platform.cpu],
      ...(platform.libc ? { libc: [platform.libc] } : {}),
    };
    added += 1;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
fs.writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n');
console.log(`lock-optional-platforms: ${added} entries added`);
