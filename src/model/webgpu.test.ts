// The WebGPU backend in Node (Dawn through the `webgpu` package): forward, backward, a training step and
// KV-cache sampling must match cpu. Runs ./parity.ts in a child process, because on a machine without a
// GPU driver Dawn finds Chromium's SwiftShader only through LD_LIBRARY_PATH, read at process start.
// Skipped, with a message, where no WebGPU adapter exists.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { swiftShaderEnv } from './node-backend';

describe('webgpu backend', () => {
  // On SwiftShader the run compiles every program it meets, with our fused kernels and without: ≈ 30 s
  // on an idle machine, hence the long limits.
  it('matches cpu: forward, backward, training step, KV-cache sampling; fused kernels match tfjs ops', { timeout: 300_000 }, (ctx) => {
    const env = { ...process.env, ...(process.env.VK_ICD_FILENAMES ? {} : swiftShaderEnv() ?? {}) };
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/model/parity.ts', 'webgpu'], { env, encoding: 'utf8', timeout: 280_000 });
    const line = run.stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
    if (run.status === 2) {
      const why = line ? (JSON.parse(line) as { unavailable: string }).unavailable : 'unknown';
      console.warn(`webgpu parity skipped: no WebGPU adapter (${why})`);
      ctx.skip(`no WebGPU adapter: ${why}`);
    }
    expect(line, `parity.ts printed no report; stderr: ${run.stderr.slice(-2000)}`).toBeDefined();
    const report = JSON.parse(line!) as { ok: boolean; adapter: string };
    expect(report, JSON.stringify(report)).toMatchObject({ ok: true });
  });
});
