// Executor section: isolated executions of small programs — our QuickJS runner (a reused, hardened
// context per runtime, see src/sandbox/harden.ts; and a fresh context per run, its fallback),
// beside `node:vm` (a new context per run) and a Python subprocess per program (what the reference AZR
// executor pays) on the same programs; a validated proposal through the real sandbox worker; and how
// long an infinite loop takes to be stopped beside a loop that just fits the same call budget.
//
// Also beside what the reference AZR code (LeapLabTHU/Absolute-Zero-Reasoner,
// absolute_zero_reasoner/utils/code_utils/python_executor.py) actually runs: a pebble ProcessPool whose
// worker processes persist, each program `exec`'d into a fresh globals dict under a SIGALRM timeout
// (timeout_decorator) — one interpreter for many programs, not a process per program. Here: one
// persistent /usr/bin/python3 worker doing the same per program, fed JSON lines over a pipe.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import vm from 'node:vm';
import { newQuickJSWASMModuleFromVariant } from 'quickjs-emscripten-core';
import RELEASE_SYNC from '@jitl/quickjs-wasmfile-release-sync';
import { canonical, parseArgList } from '../src/sandbox/literal';
import { createNodeExecutor, nodePoolSize } from '../src/sandbox/node';
import { INTRINSICS, QuickJSRunner } from '../src/sandbox/quickjs';
import { DEFAULT_LIMITS } from '../src/sandbox/types';
import { log, round, runSection, timeIt } from './harness';

const PYTHON = '/usr/bin/python3';

/** The same small programs in JavaScript and Python, with one argument list each. */
const PROGRAMS: { js: string; py: string; input: string }[] = [
  { js: 'function f(a) { return a.map((x) => x * 2).filter((x) => x % 3); }', py: 'def f(a):\n    return [y for y in (x * 2 for x in a) if y % 3]', input: '[1, 2, 3, 4, 5, 6, 7, 8]' },
  { js: "function f(s) { return s.split('').reverse().join(''); }", py: 'def f(s):\n    return s[::-1]', input: '"absolute zero"' },
  { js: 'function f(a) { let t = 0; for (const x of a) t += x * x; return t; }', py: 'def f(a):\n    t = 0\n    for x in a:\n        t += x * x\n    return t', input: '[3, 1, 4, 1, 5, 9, 2, 6]' },
  { js: 'function f(s) { const c = {}; for (const ch of s) c[ch] = (c[ch] || 0) + 1; return c; }', py: 'def f(s):\n    c = {}\n    for ch in s:\n        c[ch] = c.get(ch, 0) + 1\n    return c', input: '"mississippi"' },
  { js: 'function f(n) { let a = 0, b = 1; for (let i = 0; i < n; i++) [a, b] = [b, a + b]; return a; }', py: 'def f(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a', input: '30' },
  { js: 'function f(a) { return [...a].sort((x, y) => x - y); }', py: 'def f(a):\n    return sorted(a)', input: '[5, 3, 8, 1, 9, 2]' },
  { js: "function f(s) { return s.split(' ').map((w) => w[0].toUpperCase() + w.slice(1)).join(' '); }", py: "def f(s):\n    return ' '.join(w[0].upper() + w[1:] for w in s.split(' '))", input: '"one small model"' },
  { js: 'function f(p, k) { return p.map(([a, b]) => a * b + k); }', py: 'def f(p, k):\n    return [a * b + k for a, b in p]', input: '[[1, 2], [3, 4], [5, 6]], 10' },
];

/** The per-program work of AZR's pool worker: a fresh globals dict, exec, call f, under a SIGALRM timeout. */
const POOL_WORKER = `
import json, signal, sys
def on_alarm(signum, frame):
    raise TimeoutError('timeout')
signal.signal(signal.SIGALRM, on_alarm)
for line in sys.stdin:
    request = json.loads(line)
    scope = {}
    signal.setitimer(signal.ITIMER_REAL, 10)
    try:
        exec(request['code'], scope)
        out = json.dumps(scope['f'](*request['args']))
    except Exception as e:
        out = json.dumps({'error': repr(e)})
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    sys.stdout.write(out + '\\n')
    sys.stdout.flush()
`;

/** A persistent Python worker: `run` sends one program and resolves with its JSON output line. */
function pythonPoolWorker(): { run: (code: string, argsJson: string) => Promise<string>; close: () => void } {
  const child = spawn(PYTHON, ['-c', POOL_WORKER], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.resolve(line));
  // A worker that fails to start or dies fails the programs it owes, instead of leaving the bench waiting.
  const fail = (why: string) => { for (const w of waiting.splice(0)) w.reject(new Error(`python pool worker ${why}`)); };
  child.on('error', (e) => fail(`failed: ${e.message}`));
  child.on('exit', (code) => fail(`exited with ${code}`));
  return {
    run: (code, argsJson) => new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      child.stdin.write(`${JSON.stringify({ code, args: JSON.parse(argsJson) })}\n`);
    }),
    close: () => child.stdin.end(),
  };
}

const argsJsonOf = (input: string) => {
  const parsed = parseArgList(input);
  if (!parsed.ok) throw new Error(`bad bench input ${input}`);
  return JSON.stringify(parsed.value);
};
const canon = (json: string) => canonical(JSON.parse(json));

/**
 * Executions per second in `rounds` rounds of `perRound`, the median round, as ms per execution.
 * At least `warmRuns` untimed executions first: V8 tiers QuickJS's wasm and its JS glue up only after
 * a few thousand calls (the quick mode's 2,000 timed runs measured ≈ 2× the full mode's without it).
 */
async function msPer(rounds: number, perRound: number, once: (i: number) => unknown, warmRuns = 4_000): Promise<{ ms: number; cpuMs: number }> {
  let i = 0;
  const t = await timeIt(rounds, () => { for (let k = 0; k < perRound; k++) once(i++); }, Math.max(1, Math.ceil(warmRuns / perRound)));
  return { ms: t.ms / perRound, cpuMs: t.cpuMs / perRound };
}

await runSection(async ({ quick }) => {
  const module = await newQuickJSWASMModuleFromVariant(RELEASE_SYNC);
  const runner = new QuickJSRunner(module);
  const cases = PROGRAMS.map((p) => ({ ...p, args: argsJsonOf(p.input) }));

  // The three executors must agree before their speeds mean anything.
  const ours = cases.map((c) => runner.run(c.js, c.args, 1));
  const vmRun = (c: (typeof cases)[number], timeout: boolean) => {
    const context = vm.createContext({ ARGS: c.args });
    return vm.runInContext(`${c.js}\n;JSON.stringify(f(...JSON.parse(ARGS)))`, context, timeout ? { timeout: 1000 } : {}) as string;
  };
  const pyRun = (c: (typeof cases)[number]) => {
    const code = `import json, sys\n${c.py}\nsys.stdout.write(json.dumps(f(*json.loads(sys.argv[1]))))`;
    const r = spawnSync(PYTHON, ['-c', code, c.args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
    return r.stdout;
  };
  const pool = pythonPoolWorker();
  const pooled = await Promise.all(cases.map((c) => pool.run(c.py, c.args)));
  const disagreements = cases.flatMap((c, i) => {
    const o = ours[i];
    const mine = o.ok ? o.output : `(${o.reason})`;
    const others = [canon(vmRun(c, true)), canon(pyRun(c)), canon(pooled[i])];
    return others.every((x) => x === mine) ? [] : [`${c.js}: ${mine} vs ${others.join(' / ')}`];
  });
  if (disagreements.length) throw new Error(`executors disagree: ${disagreements.join('; ')}`);

  const rounds = quick ? 5 : 9;
  const ourPer = quick ? 400 : 2000;
  log(`QuickJS runner: ${rounds} × ${ourPer} executions`);
  const quickjs = await msPer(rounds, ourPer, (i) => runner.run(cases[i % cases.length].js, cases[i % cases.length].args, 1));
  const reuseStats = { ...runner.stats };
  // The same runs, each in a fresh context (the runner before contexts were reused, and its fallback).
  const freshRunner = new QuickJSRunner(module, {}, { reuseContexts: false });
  const freshPerRun = await msPer(rounds, ourPer, (i) => freshRunner.run(cases[i % cases.length].js, cases[i % cases.length].args, 1));
  freshRunner.dispose();
  // The floor of an isolated run: creating and freeing the fresh context alone, nothing run in it.
  const floorRuntime = module.newRuntime();
  const contextOnly = await msPer(rounds, ourPer, () => floorRuntime.newContext({ intrinsics: INTRINSICS }).dispose());
  floorRuntime.dispose();
  log(`node:vm: ${rounds} × ${ourPer / 4} executions`);
  const nodeVm = await msPer(rounds, ourPer / 4, (i) => vmRun(cases[i % cases.length], true), 1_000);
  const nodeVmNoTimeout = await msPer(rounds, ourPer / 4, (i) => vmRun(cases[i % cases.length], false), 1_000);
  const pyRuns = quick ? 8 : 24;
  log(`python subprocess: ${pyRuns} executions`);
  const python = await msPer(1, pyRuns, (i) => pyRun(cases[i % cases.length]), 0);
  log(`python pool worker (AZR's executor): ${rounds} × ${ourPer / 2} executions`);
  let next = 0;
  const poolTiming = await timeIt(rounds, async () => {
    for (let k = 0; k < ourPer / 2; k++, next++) await pool.run(cases[next % cases.length].py, cases[next % cases.length].args);
  });
  pool.close();
  const pythonPoolMs = poolTiming.ms / (ourPer / 2);

  // A validated proposal: static checks, the input parsed, two runs that must agree, the output parsed.
  const validateInThread = await msPer(rounds, ourPer / 2, (i) => runner.validate({ program: cases[i % cases.length].js, input: cases[i % cases.length].input }));
  const executor = createNodeExecutor();
  const batch = Array.from({ length: quick ? 400 : 2000 }, (_, i) => ({ program: cases[i % cases.length].js, input: cases[i % cases.length].input }));
  await executor.runBatch(batch.slice(0, 50));
  log(`sandbox worker: ${rounds} batches of ${batch.length} validated proposals`);
  const validated = await timeIt(rounds, () => executor.runBatch(batch), 0);
  // The same batches over a pool of sandbox workers (what the CLI and the lab use where cores allow).
  const poolWorkers = Math.max(2, nodePoolSize());
  const sandboxPool = createNodeExecutor({ workers: poolWorkers });
  await sandboxPool.runBatch(batch.slice(0, 50 * poolWorkers));
  log(`sandbox pool of ${poolWorkers}: ${rounds} batches of ${batch.length} validated proposals`);
  const validatedPool = await timeIt(rounds, () => sandboxPool.runBatch(batch), 0);
  await sandboxPool.dispose();

  // Stopping: an infinite loop runs out of the call budget; a counted loop is sized to just fit it.
  const spin = 'function f() { while (true) {} }';
  const stop = await timeIt(quick ? 3 : 7, () => runner.run(spin, '[]', 1));
  const stopVerdict = runner.run(spin, '[]', 1);
  const counted = 'function f(n) { let i = 0; while (i < n) i++; return i; }';
  const fits = (n: number) => runner.run(counted, `[${n}]`, 1).ok;
  let lo = 1_000;
  let hi = 2_000;
  while (fits(hi)) [lo, hi] = [hi, hi * 2];
  while (hi - lo > lo / 100) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  const budget = await timeIt(quick ? 3 : 7, () => runner.run(counted, `[${lo}]`, 1));
  const stopWorker = await timeIt(quick ? 3 : 5, () => executor.runBatch([{ program: spin, input: '' }]));
  await executor.dispose();
  runner.dispose();

  return {
    programs: cases.length,
    msPerExec: round(quickjs.ms),
    execPerSec: Math.round(1000 / quickjs.ms),
    cpuMsPerExec: round(quickjs.cpuMs),
    nodeVmMsPerExec: round(nodeVm.ms),
    nodeVmNoTimeoutMsPerExec: round(nodeVmNoTimeout.ms),
    vsNodeVm: round(nodeVm.ms / quickjs.ms, 3),
    pythonMsPerExec: round(python.ms),
    vsPythonSubprocess: Math.round(python.ms / quickjs.ms),
    freshContextMs: round(contextOnly.ms),
    /** One run in a fresh context of its own (`reuseContexts: false`), the same programs. */
    freshContextMsPerExec: round(freshPerRun.ms),
    reusedOverFresh: round(freshPerRun.ms / quickjs.ms, 3),
    /** Where the timed runs went: the reused hardened context, or a fresh one. */
    reuse: reuseStats,
    /** The most any fresh-context executor could be ahead of a Python subprocess here: its context alone. */
    vsPythonSubprocessCeiling: Math.round(python.ms / contextOnly.ms),
    pythonPoolMsPerExec: round(pythonPoolMs),
    vsPythonPool: round(pythonPoolMs / quickjs.ms, 3),
    msPerValidated: round(validated.ms / batch.length),
    validatedPerSec: Math.round(batch.length / (validated.ms / 1000)),
    msPerValidatedInThread: round(validateInThread.ms),
    poolWorkers,
    msPerValidatedPool: round(validatedPool.ms / batch.length),
    poolSpeedup: round(validated.ms / validatedPool.ms, 3),
    stopMs: round(stop.ms),
    stopVerdict: stopVerdict.ok ? 'ok' : stopVerdict.reason,
    budgetMs: round(budget.ms),
    budgetCalls: DEFAULT_LIMITS.budget,
    budgetLoopIterations: lo,
    stopOverBudget: round(stop.ms / budget.ms, 3),
    stopMsThroughWorker: round(stopWorker.ms),
    spread: { quickjsCpuMsPerExec: round(quickjs.cpuMs), pythonRuns: pyRuns, medianOf: rounds },
  };
});
