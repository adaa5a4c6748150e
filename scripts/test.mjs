// `npm test`: lint, typecheck, unit tests (Vitest) and browser tests (Playwright), then one
// closing line `N passed, N failed` that totals both suites, so a run that executed nothing shows.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const outDir = '.test-results';
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

function run(label, cmd, args, env = {}) {
  console.log(`\n=== ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
}

let passed = 0;
let failed = 0;
let skipped = 0;
let broken = [];

if (run('lint', 'npx', ['eslint', '.']) !== 0) broken.push('lint');
if (run('typecheck', 'npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']) !== 0) broken.push('typecheck');

const unitJson = `${outDir}/unit.json`;
const unitStatus = run('unit tests', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${unitJson}`]);
if (existsSync(unitJson)) {
  const r = JSON.parse(readFileSync(unitJson, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  // A file that fails to load has no tests but is still a failure.
  failed += (r.testResults ?? []).filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
} else if (unitStatus !== 0) {
  broken.push('unit (no report)');
}

const e2eJson = `${outDir}/e2e.json`;
const e2eStatus = run('browser tests', 'node', ['e2e/run.mjs']);
if (existsSync(e2eJson)) {
  const s = JSON.parse(readFileSync(e2eJson, 'utf8')).stats;
  passed += s.expected + (s.flaky ?? 0);
  failed += s.unexpected;
  skipped += s.skipped;
} else if (e2eStatus !== 0) {
  broken.push('e2e (no report)');
}

if (broken.length) console.log(`\nBroken stages: ${broken.join(', ')}`);
failed += broken.length;
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
