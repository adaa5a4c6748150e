// Builds the app and runs the Playwright suite against `vite preview` in Debian's Chromium.
// Skips (with a clear message) only when no Chromium is installed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.log(`e2e: SKIPPED — no Chromium at ${chromium}. Install it with: apt-get install -y chromium`);
  process.exit(0);
}
const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const args = ['playwright', 'test', ...process.argv.slice(2)];
const r = spawnSync('npx', args, { stdio: 'inherit', env: { ...process.env, CHROMIUM_PATH: chromium } });
process.exit(r.status ?? 1);
