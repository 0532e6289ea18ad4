// Adds up the JSON reports of the test runners (Vitest, Playwright) and
// prints one line: "web: N passed, N failed, N skipped".
// Usage: node scripts/test-summary.mjs [--extra-failed N] report.json...
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const file = args[i];
  if (file === '--extra-failed') {
    failed += Number(args[++i] ?? 0);
    continue;
  }
  if (!file || !existsSync(file)) {
    // A runner that crashed before writing its report counts as one failure.
    console.error(`summary: no report at ${file}`);
    failed += 1;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  if (typeof r.numPassedTests === 'number') {
    // Vitest (Jest-compatible JSON)
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    if (r.numFailedTests === 0 && r.success === false) failed += 1; // e.g. unhandled errors
  } else if (r.stats) {
    // Playwright
    passed += (r.stats.expected ?? 0) + (r.stats.flaky ?? 0);
    failed += r.stats.unexpected ?? 0;
    skipped += r.stats.skipped ?? 0;
    if ((r.errors ?? []).length > 0 && (r.stats.unexpected ?? 0) === 0) failed += r.errors.length;
  } else {
    console.error(`summary: unknown report format in ${file}`);
    failed += 1;
  }
}
console.log(`web: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
