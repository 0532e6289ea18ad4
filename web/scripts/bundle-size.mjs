// Measures the build: initial JavaScript (what index.html loads, with its
// static imports) against the budget, and the lazy chunks (ECharts).
// Usage: node scripts/bundle-size.mjs [distDir]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 250;
const dist = process.argv[2] ?? 'dist';
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const kb = (n) => (n / 1024).toFixed(1);

// Entry scripts and modulepreloads, then their static imports, transitively.
const initial = new Set([...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]));
for (const file of [...initial]) {
  const code = readFileSync(join(dist, file), 'utf8');
  for (const m of code.matchAll(/(?:^|[;}\s])import\s*(?:[^'"()]*?from\s*)?["']\.\/([^"']+\.js)["']/g)) initial.add(`assets/${m[1]}`);
}
const all = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js')).map((f) => `assets/${f}`);
const lazy = all.filter((f) => !initial.has(f));
const css = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.css')).map((f) => `assets/${f}`);

let initialGz = 0;
console.log('initial JavaScript (gzip -9):');
for (const f of initial) {
  const n = gz(f);
  initialGz += n;
  console.log(`  ${f}  ${kb(n)} KB`);
}
console.log(`  total ${kb(initialGz)} KB (budget ${BUDGET_KB} KB)`);
console.log('loaded on demand:');
for (const f of lazy) console.log(`  ${f}  ${kb(gz(f))} KB`);
for (const f of css) console.log(`css ${f}  ${kb(gz(f))} KB`);
if (initialGz > BUDGET_KB * 1024) {
  console.error(`initial JavaScript ${kb(initialGz)} KB gzipped is over the ${BUDGET_KB} KB budget`);
  process.exitCode = 1;
}
if (!lazy.some((f) => /echarts/.test(f)) || [...initial].some((f) => /echarts/.test(f))) {
  console.error('ECharts must be a lazy chunk, not part of the initial JavaScript');
  process.exitCode = 1;
}
