// `npm run bench [-- --quick] [-- --json] [-- --only executor,model,torch,step,memory,page] [-- --save FILE]`
// Measures the lab's speed and memory, each figure beside a reference measured in the same run, and
// prints a table (or, with --json, one JSON object). Every section runs in its own process (./harness),
// one after another, so they do not compete for the machine's cores. Targets: ../shared/DESIGN.md.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isSoftwareWebGPU, type WebGPUProbe } from '../src/model/backend';
import { swiftShaderEnv } from '../src/model/node-backend';
import { fmt, table, targets, type TargetCheck } from './lib';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
/** Peak fp32 of this machine's 2 AVX2 cores (../shared/DESIGN.md): 2 cores × 2 FMA units × 8 lanes × 2 × ≈ 3 GHz. */
const PEAK_GFLOPS = 190;

type Json = Record<string, unknown>;
type SectionName = 'executor' | 'model' | 'torch' | 'step' | 'memory' | 'page';
const SECTIONS: SectionName[] = ['executor', 'model', 'torch', 'step', 'memory', 'page'];

interface Job {
  section: SectionName;
  /** Where the result goes in the report, e.g. ['model', 'wasm']. */
  key: string[];
  script: string;
  opts: Record<string, string>;
  env?: Record<string, string>;
  timeoutMs: number;
}

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
    save: { type: 'string' },
  },
  strict: true,
});
const quick = args.quick ?? false;
const only = new Set((args.only ?? SECTIONS.join(',')).split(',') as SectionName[]);
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section ${s} (known: ${SECTIONS.join(', ')})`);

/** The configuration that model.* and torch.* headline figures are on. */
const headline = quick ? 'tiny' : 'default';
const min = 60_000;
/** The environment WebGPU jobs run in (a hardware adapter's, else SwiftShader's), or null without any. */
let webgpuEnv: Record<string, string> | null = null;
let webgpuAdapter: Json = {};

function plan(): Job[] {
  const jobs: Job[] = [{ section: 'executor', key: ['executor'], script: 'executor.ts', opts: {}, timeoutMs: 5 * min }];
  if (quick) {
    jobs.push(
      { section: 'model', key: ['model', 'wasm'], script: 'model.ts', opts: { backend: 'wasm', configs: 'tiny', nocache: '1', profile: '1' }, timeoutMs: 3 * min },
      { section: 'model', key: ['model', 'cpu'], script: 'model.ts', opts: { backend: 'cpu', configs: 'tiny' }, timeoutMs: 3 * min },
      { section: 'torch', key: ['torch'], script: 'torch.ts', opts: { configs: 'tiny', backends: 'wasm,cpu' }, timeoutMs: 3 * min },
      { section: 'memory', key: ['memory'], script: 'memory.ts', opts: { steps: '20' }, timeoutMs: 3 * min },
    );
    return jobs.filter((j) => only.has(j.section));
  }
  jobs.push(
    { section: 'model', key: ['model', 'wasm'], script: 'model.ts', opts: { backend: 'wasm', configs: 'tiny,default,ref04m', nocache: '1', profile: '1' }, timeoutMs: 8 * min },
    { section: 'model', key: ['model', 'cpu'], script: 'model.ts', opts: { backend: 'cpu', configs: 'tiny,default' }, timeoutMs: 8 * min },
  );
  if (webgpuEnv) {
    // One process per configuration: on a software adapter a default-config run may time out, and the
    // tiny figures should survive that.
    for (const configs of ['tiny', 'default']) {
      jobs.push({ section: 'model', key: ['model', 'webgpu'], script: 'model.ts', opts: { backend: 'webgpu', configs, trainRuns: '1' }, env: webgpuEnv, timeoutMs: 6 * min });
    }
  }
  // The same measurement in a worker of a page in headless Chromium, as the lab's trainer runs it: wasm on
  // Chromium's engine, and WebGPU through Chromium's own Dawn (SwiftShader on a machine without a GPU).
  jobs.push({ section: 'model', key: ['model', 'chromium-wasm'], script: 'browser-model.ts', opts: { backend: 'wasm', configs: 'tiny,default', nocache: '1' }, timeoutMs: 5 * min });
  for (const configs of ['tiny', 'default']) {
    jobs.push({ section: 'model', key: ['model', 'chromium-webgpu'], script: 'browser-model.ts', opts: { backend: 'webgpu', configs, ...(configs === 'default' ? { trainRuns: '1' } : {}) }, timeoutMs: 6 * min });
  }
  jobs.push(
    { section: 'torch', key: ['torch'], script: 'torch.ts', opts: { configs: 'tiny,default,ref04m', backends: 'wasm,cpu' }, timeoutMs: 6 * min },
    { section: 'step', key: ['step', 'wasm'], script: 'step.ts', opts: { backend: 'wasm', preset: 'default' }, timeoutMs: 6 * min },
    { section: 'step', key: ['step', 'cpu'], script: 'step.ts', opts: { backend: 'cpu', preset: 'tiny' }, timeoutMs: 6 * min },
  );
  if (webgpuEnv) {
    jobs.push({ section: 'step', key: ['step', 'webgpu'], script: 'step.ts', opts: { backend: 'webgpu', preset: 'tiny' }, env: webgpuEnv, timeoutMs: 8 * min });
  }
  jobs.push(
    { section: 'memory', key: ['memory'], script: 'memory.ts', opts: { steps: '200' }, timeoutMs: 10 * min },
    { section: 'page', key: ['page'], script: 'page.ts', opts: { query: '', windowMs: '30000', timeoutMs: '300000' }, timeoutMs: 8 * min },
  );
  return jobs.filter((j) => only.has(j.section));
}

/** Runs one section in its own process (its own process group, so a timeout ends its children too). */
function runJob(job: Job, dir: string): Promise<Json> {
  const out = join(dir, `${job.key.join('.')}.json`);
  const opts = Object.entries(job.opts).flatMap(([k, v]) => ['--opt', `${k}=${v}`]);
  const argv = ['--expose-gc', '--import', 'tsx', join(HERE, job.script), '--out', out, ...(quick ? ['--quick'] : []), ...opts];
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, env: { ...process.env, ...job.env }, stdio: ['ignore', process.stderr, process.stderr], detached: true });
    const timer = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, job.timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const wallMs = Math.round(performance.now() - started);
      try {
        resolve({ ...(JSON.parse(readFileSync(out, 'utf8')) as Json), sectionWallMs: wallMs });
      } catch {
        resolve({ error: signal === 'SIGKILL' ? `timed out after ${job.timeoutMs / 1000} s` : `exited with ${code ?? signal} without a result`, sectionWallMs: wallMs });
      }
    });
  });
}

function put(target: Json, key: string[], value: Json): void {
  let node = target;
  for (const k of key.slice(0, -1)) node = (node[k] ??= {}) as Json;
  const last = key[key.length - 1];
  // Jobs that share a key (one backend, one configuration per process) merge into one object.
  const old = node[last] as Json | undefined;
  node[last] = old ? { ...old, ...value, sectionWallMs: (Number(old.sectionWallMs) || 0) + (Number(value.sectionWallMs) || 0) } : value;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Headline keys on top of the raw section results: the figures the issue names, and the ratios. */
function summarise(r: Json): void {
  const model = (r.model ?? {}) as Record<string, Json>;
  const backends = Object.keys(model).filter((b) => typeof model[b] === 'object' && !('error' in model[b]));
  for (const b of backends) {
    const h = model[b][headline] as Json | undefined;
    if (!h || h.error) continue;
    Object.assign(model[b], {
      trainTokensPerSec: h.trainTokensPerSec, sampleTokensPerSec: h.sampleTokensPerSec,
      trainGflops: h.trainGflops, fractionOfPeak: num(h.trainGflops) !== undefined ? Number(((h.trainGflops as number) / PEAK_GFLOPS).toPrecision(3)) : undefined,
    });
  }
  if (r.model) {
    const wasm = (model.wasm?.[headline] ?? {}) as Json;
    Object.assign(r.model as Json, { config: headline, kvCacheSpeedup: wasm.kvCacheSpeedup, kvCacheBackend: 'wasm' });
  }
  const torch = r.torch as Json | undefined;
  if (torch && !torch.error) {
    const configs = Object.keys(torch).filter((k) => typeof torch[k] === 'object' && torch[k] !== null && 'maxLogitDiff' in (torch[k] as Json));
    const h = (torch[headline] ?? {}) as Json;
    const cpuBackends = backends.filter((b) => !b.endsWith('webgpu') && num(model[b][headline] && (model[b][headline] as Json).trainTokensPerSec));
    const best = cpuBackends.sort((a, b) => ((model[b][headline] as Json).trainTokensPerSec as number) - ((model[a][headline] as Json).trainTokensPerSec as number))[0];
    const bestTps = best ? ((model[best][headline] as Json).trainTokensPerSec as number) : undefined;
    const perConfig = Object.fromEntries(configs.map((c) => {
      const ours = backends.filter((b) => !b.endsWith('webgpu')).map((b) => num((model[b][c] as Json | undefined)?.trainTokensPerSec) ?? 0);
      const t = num((torch[c] as Json).trainTokensPerSec);
      return [c, ours.length && t ? Number((Math.max(...ours) / t).toPrecision(3)) : null];
    }));
    Object.assign(torch, {
      config: headline,
      maxLogitDiff: Math.max(...configs.map((c) => (torch[c] as Json).maxLogitDiff as number)),
      trainTokensPerSec: h.trainTokensPerSec, trainGflops: h.trainGflops,
      fractionOfPeak: num(h.trainGflops) !== undefined ? Number(((h.trainGflops as number) / PEAK_GFLOPS).toPrecision(3)) : undefined,
      peakGflops: PEAK_GFLOPS,
      bestTfjsBackend: best, bestTfjsTokensPerSec: bestTps,
      bestTfjsVsTorch: bestTps && num(h.trainTokensPerSec) ? Number((bestTps / (h.trainTokensPerSec as number)).toPrecision(3)) : undefined,
      bestTfjsVsTorchByConfig: perConfig,
    });
  }
}

function gitCommit(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  return `${head}${dirty ? ' (src/ modified)' : ''}`;
}

function report(r: Json, checks: TargetCheck[]): string {
  const lines: string[] = [];
  const meta = r.meta as Json;
  lines.push(`AZR Lab bench (${meta.mode}) — ${meta.date}, ${meta.cpu}, ${meta.cores} cores, load ${(meta.loadAvgStart as number[]).map((x) => x.toFixed(2)).join(' ')} at start, ${(meta.loadAvgEnd as number[]).map((x) => x.toFixed(2)).join(' ')} at end`);
  const e = r.executor as Json | undefined;
  if (e && !e.error) {
    lines.push('', 'Executor (small programs, ms per isolated execution; ratio = how many times faster we are)');
    lines.push(table(['figure', 'ours', 'reference', 'ratio'], [
      ['QuickJS, reused hardened context (fresh where it must)', `${fmt(e.msPerExec as number)} ms (${fmt(e.execPerSec as number)}/s)`, '', ''],
      ['  the same runs, each in a fresh context', `${fmt(e.freshContextMsPerExec as number)} ms`, '', `${fmt(e.reusedOverFresh as number)}× slower`],
      ['vs node:vm, new context, timeout', '', `${fmt(e.nodeVmMsPerExec as number)} ms`, `${fmt(e.vsNodeVm as number)}×`],
      ['vs node:vm, new context, no timeout', '', `${fmt(e.nodeVmNoTimeoutMsPerExec as number)} ms`, `${fmt((e.nodeVmNoTimeoutMsPerExec as number) / (e.msPerExec as number))}×`],
      ['vs Python subprocess per program', '', `${fmt(e.pythonMsPerExec as number)} ms`, `${fmt(e.vsPythonSubprocess as number)}×`],
      ['  (a fresh context alone, nothing run: the fresh-context ceiling)', `${fmt(e.freshContextMs as number)} ms`, `${fmt(e.pythonMsPerExec as number)} ms`, `${fmt(e.vsPythonSubprocessCeiling as number)}×`],
      ["vs AZR's executor: persistent Python worker, exec per program (not isolated)", '', `${fmt(e.pythonPoolMsPerExec as number)} ms`, `${fmt(e.vsPythonPool as number)}×`],
      ['validated proposal (2 runs + parse), worker', `${fmt(e.msPerValidated as number)} ms (${fmt(e.validatedPerSec as number)}/s)`, '', ''],
      [`  the same over a pool of ${e.poolWorkers as number} workers`, `${fmt(e.msPerValidatedPool as number)} ms`, '', `${fmt(e.poolSpeedup as number)}× faster`],
      ['stop while(true){} (budget 100 calls)', `${fmt(e.stopMs as number)} ms`, `${fmt(e.budgetMs as number)} ms (loop that just fits)`, `${fmt(e.stopOverBudget as number)} of budget`],
    ]));
  } else if (e) lines.push('', `Executor: ${e.error}`);
  const model = r.model as Record<string, Json> | undefined;
  if (model) {
    lines.push('', `Model (training: ${16} × ${64} tokens, forward + backward + AdamW; sampling: 16 prompts of 32 tokens + 64 new, KV cache)`);
    const rows: string[][] = [];
    for (const [b, res] of Object.entries(model)) {
      if (typeof res !== 'object' || res === null) continue;
      if (res.error || res.skipped) { rows.push([b, `${res.error ? 'error' : 'skipped'}: ${String(res.error ?? res.skipped)}`]); continue; }
      for (const c of ['tiny', 'default', 'ref04m']) {
        const m = res[c] as Json | undefined;
        if (!m) continue;
        if (m.error) { rows.push([b, c, `error: ${m.error}`]); continue; }
        rows.push([b, c, fmt(m.parameters as number), fmt(m.trainTokensPerSec as number), fmt(m.msPerTrainStep as number), fmt(m.trainGflops as number),
          `${fmt((m.trainGflops as number) / PEAK_GFLOPS * 100)}%`, fmt(m.sampleTokensPerSec as number), fmt(m.kvCacheSpeedup as number),
          m.dispatches ? `${(m.dispatches as Json).trainStep} / ${(m.dispatches as Json).decodeStep}` : '–']);
      }
    }
    lines.push('(chromium-*: the same measurement in a worker of a page in headless Chromium, where the lab trains)');
    lines.push(table(['backend', 'config', 'params', 'train tok/s', 'ms/step', 'GFLOP/s', 'of peak', 'sample tok/s', 'KV speed-up', 'GPU dispatches: train / decode step'], rows));
    const profile = (model.wasm?.[headline] as Json | undefined)?.profile as Json | undefined;
    if (profile) {
      const top = (profile.top as { kernel: string; ms: number }[]).slice(0, 5).map((k) => `${k.kernel} ${fmt(k.ms)} ms`).join(', ');
      lines.push(`wasm ${headline} training step by kernel (tf.profile): ${fmt(profile.kernelMs as number)} ms in ${profile.kernels} kernels, matmuls ${fmt(profile.matmulMs as number)} ms; top: ${top}`);
    }
    for (const b of ['wasm', 'chromium-wasm']) {
      const product = model[b]?.product as Json | undefined;
      if (!product) continue;
      lines.push(`${b} SIMD product alone (default projection shapes, one core): ${fmt(product.unfusedGflops as number)} GFLOP/s unfused` +
        (product.fusedAvailable ? `, ${fmt(product.fusedGflops as number)} fused (relaxed SIMD), ${fmt(product.fusedSpeedup as number)}×; the model above ${model[b].fusedMultiplyAdd ? 'fuses' : 'does not fuse'}` : '; no relaxed SIMD here, so unfused'));
    }
  }
  const torch = r.torch as Json | undefined;
  if (torch && !torch.error) {
    lines.push('', `PyTorch ${((Object.values(torch).find((v) => typeof v === 'object' && v !== null && 'torchVersion' in (v as Json)) ?? {}) as Json).torchVersion} on CPU, same architecture and weights (our checkpoint)`);
    const rows = ['tiny', 'default', 'ref04m'].filter((c) => torch[c]).map((c) => {
      const t = torch[c] as Json;
      const by = torch.bestTfjsVsTorchByConfig as Json;
      return [c, fmt(t.maxLogitDiff as number), fmt(t.lossDiff as number), fmt(t.lossAfterStepDiff as number), fmt(t.trainTokensPerSec as number), fmt(t.msPerTrainStep as number),
        fmt(t.trainGflops as number), `${fmt((t.trainGflops as number) / PEAK_GFLOPS * 100)}%`, `${fmt(by?.[c] as number)}×`];
    });
    lines.push(table(['config', 'max |Δlogit|', '|Δloss|', '|Δloss| after step', 'torch tok/s', 'ms/step', 'GFLOP/s', 'of peak', 'best tfjs / torch'], rows));
  } else if (torch) lines.push('', `PyTorch: ${torch.error}`);
  const step = r.step as Record<string, Json> | undefined;
  if (step) {
    lines.push('', 'One self-play step (after seeding), ms by phase');
    const phases = ['propose', 'validate', 'solve', 'check', 'reward', 'update'];
    lines.push(table(['backend', 'preset', 'model', 'seed ms', 'step ms', ...phases, 'slowest'], Object.entries(step).map(([b, s]) => (s.error
      ? [b, `error: ${s.error}`]
      : [b, String(s.preset), String(s.model).split(' (')[0], fmt(s.seedMs as number), fmt(s.ms as number), ...phases.map((p) => fmt((s.phases as Json)[p] as number)), String(s.slowestPhase)]))));
  }
  const mem = r.memory as Json | undefined;
  if (mem) {
    lines.push('', mem.error ? `Memory: ${mem.error}` : `Memory over ${mem.steps} tiny steps on ${mem.backend} (slopes per step after ${mem.warmupSteps} warm-up steps): tensors ${fmt(mem.tensorSlopePerStep as number)} (${(mem.tensors as Json).afterWarmup} → ${(mem.tensors as Json).last}), wasm heap +${fmt(mem.wasmHeapGrowthAfterWarmupBytes as number)} B after warm-up (grew after steps ${((mem.wasmHeapGrowth ?? []) as [number, number, boolean][]).map(([s, b, peak]) => `${s}: +${fmt(b / 1e6)} MB${peak ? ', a new peak working set' : ', UNEXPLAINED'}`).join('; ') || 'none'}), JS heap ${fmt(mem.jsHeapSlopeBytesPerStep as number)} B vs buffer contents ${fmt(mem.bufferBytesSlopePerStep as number)} B (${fmt(mem.jsHeapOverBufferGrowth as number)}×)`);
  }
  const page = r.page as Json | undefined;
  if (page) {
    const lt = page.longTasks as Json | undefined;
    lines.push('', page.error || page.skipped ? `Page: ${page.error ?? page.skipped}` : `Page (${page.query}, ${page.backend}): activity ${fmt(page.busyMs as number)} ms, seeding bar ${fmt(page.seedingBarMs as number)} ms, first chart point ${page.firstPointMs === null ? `none within ${(page.firstPointTimeoutMs as number) / 1000} s` : `${fmt(page.firstPointMs as number)} ms`} after Start; long tasks in the first ${(lt!.windowMs as number) / 1000} s: ${lt!.count} (max ${fmt(lt!.maxMs as number)} ms, total ${fmt(lt!.totalMs as number)} ms)`);
  }
  lines.push('', 'Targets (../shared/DESIGN.md)');
  lines.push(table(['figure', 'target', 'measured', 'holds'], checks.map((c) => [c.name, c.target, fmt(c.value), c.holds === null ? 'not measured' : c.holds ? 'yes' : 'NO'])));
  const errors = r.errors as Json;
  if (Object.keys(errors).length) lines.push('', `Sections with errors: ${Object.entries(errors).map(([k, v]) => `${k}: ${v}`).join('; ')}`);
  return lines.join('\n');
}

/** A hardware adapter in the plain environment wins; else Chromium's SwiftShader, when it is there. */
async function chooseWebGPU(dir: string): Promise<void> {
  const probe = { section: 'model' as const, key: ['probe'], script: 'probe-webgpu.ts', opts: {}, timeoutMs: min };
  const plain = await runJob(probe, dir);
  if (plain.available && !isSoftwareWebGPU(plain as unknown as WebGPUProbe)) {
    [webgpuEnv, webgpuAdapter] = [{}, plain];
    return;
  }
  const swiftShader = swiftShaderEnv();
  if (!swiftShader) return;
  const soft = await runJob({ ...probe, env: swiftShader }, dir);
  if (soft.available) [webgpuEnv, webgpuAdapter] = [swiftShader, soft];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'azr-bench-'));
  const started = performance.now();
  if (!quick && (only.has('model') || only.has('step'))) await chooseWebGPU(dir);
  const result: Json = {
    meta: {
      mode: quick ? 'quick' : 'full', date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length, loadAvgStart: loadavg().map((x) => Number(x.toFixed(2))), commit: gitCommit(), headlineConfig: headline,
      webgpu: webgpuEnv ? { ...webgpuAdapter, sectionWallMs: undefined, env: Object.keys(webgpuEnv).length ? 'swiftShaderEnv()' : 'plain' } : 'not measured',
    },
  };
  const errors: Json = {};
  // The 1-minute load average as each section starts: on a shared machine, the context of its numbers.
  const loadBySection: Json = {};
  try {
    for (const job of plan()) {
      loadBySection[job.key.join('.') + (job.opts.configs ? `.${job.opts.configs}` : '')] = Number(loadavg()[0].toFixed(2));
      process.stderr.write(`bench: ${job.key.join('.')} ${Object.entries(job.opts).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
      const r = await runJob(job, dir);
      if (r.error) errors[job.key.join('.')] = r.error;
      // A model job that failed leaves its error under its configurations, beside the other jobs' results.
      if (r.error && job.section === 'model') for (const c of job.opts.configs.split(',')) put(result, [...job.key, c], r);
      else put(result, job.key, r);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  summarise(result);
  const checks = targets({
    executor: result.executor as never, torch: result.torch as never, model: result.model as never, memory: result.memory as never,
    page: result.page as never,
  });
  Object.assign(result.meta as Json, { loadBySection, loadAvgEnd: loadavg().map((x) => Number(x.toFixed(2))), wallSeconds: Math.round((performance.now() - started) / 1000) });
  result.targets = checks;
  result.errors = errors;
  if (args.save) writeFileSync(args.save, `${JSON.stringify(result, null, 1)}\n`);
  process.stdout.write(args.json ? `${JSON.stringify(result)}\n` : `${report(result, checks)}\n`);
}

await main();
