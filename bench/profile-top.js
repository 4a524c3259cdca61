// Summarizes a V8 .cpuprofile (from `BENCH_CPU_PROF=<dir> npm run bench`, i.e. node --cpu-prof): self time by
// package (node_modules/<name>, the bot's own dist/, node: internals, GC, idle) and the hottest functions.
// Usage: node bench/profile-top.js <file.cpuprofile> [top N]
const fs = require('node:fs');

const file = process.argv[2];
const topN = Number(process.argv[3] || 25);
if (!file) {
  process.stderr.write('usage: node bench/profile-top.js <file.cpuprofile> [top N]\n');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));

// Self time per node: each sample names the node that was on top of the stack; timeDeltas are the gaps.
const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) || 0) + (profile.timeDeltas[i] || 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

function packageOf(url, name) {
  if (name === '(garbage collector)') return '(gc)';
  if (name === '(idle)' || name === '(program)' || name === '(root)') return name;
  if (!url) return '(native/V8)';
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  const own = /\/(dist|dist-bench)\/(.+)$/.exec(url);
  if (own) return `${own[1]}/${own[2].split('/')[0]}`;
  return url;
}

const byPackage = new Map();
const byFunction = new Map();
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) || 0;
  if (us === 0) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  const pkg = packageOf(url, name);
  byPackage.set(pkg, (byPackage.get(pkg) || 0) + us);
  const key = `${name}  ${url ? url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist\/)/, '$1') : ''}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) || 0) + us);
}

const pct = (us) =>
  `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms`;
const print = (title, map, n) => {
  process.stdout.write(`\n${title}\n`);
  for (const [k, v] of [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n))
    process.stdout.write(`${pct(v)}  ${k}\n`);
};
process.stdout.write(`${file}: ${(total / 1000).toFixed(0)} ms sampled\n`);
print('self time by package', byPackage, 20);
print('hottest functions (self time)', byFunction, topN);
