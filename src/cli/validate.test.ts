import { describe, expect, it } from 'vitest';
import { runCli } from './io-test-helper';

const DOUBLE = 'function f(a) { return a.map((x) => x * 2); }';

describe('npm run validate', () => {
  it('answers one line per line in, bad lines with a one-line error, and exits 1', async () => {
    const lines = [
      JSON.stringify({ id: 1, program: DOUBLE, input: '[1, 2]' }),
      '{"id": 2, "program": "function f() {}", "input": ',
      JSON.stringify({ id: 'loop', program: 'function f() { while (true) {} }', input: '' }),
      JSON.stringify({ id: 4, program: DOUBLE, inptu: '[1]' }),
      JSON.stringify({ id: 5, program: DOUBLE }),
      JSON.stringify({ id: 6, program: 7, input: '' }),
      '[1, 2]',
      '',
      JSON.stringify({ program: 'function f(x) { return x; }', input: '1) || (1' }),
      JSON.stringify({ id: 9, program: 'function f() { return { b: 1, a: -0 }; }', input: '' }),
    ];
    const { code, out, err } = await runCli('src/cli/validate.ts', [], lines);
    const replies = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(replies).toEqual([
      { id: 1, ok: true, output: '[2,4]' },
      { error: expect.stringMatching(/^malformed JSON/) },
      { id: 'loop', ok: false, reason: 'timeout', message: expect.any(String) },
      { id: 4, error: expect.stringMatching(/unknown key "inptu"/) },
      { id: 5, error: 'missing key "input"' },
      { id: 6, error: '"program" must be a string' },
      { error: 'a line must be a JSON object, got an array' },
      { ok: false, reason: 'syntax', message: expect.stringMatching(/not a list of literals/) },
      { id: 9, ok: true, output: '{"a":0,"b":1}' },
    ]);
    expect(code).toBe(1);
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('exits 0 when every line is well-formed, and takes limits as flags', async () => {
    const loop = 'function f() { let s = 0; for (let i = 0; i < 1e5; i++) s += i; return s; }';
    const { code, out } = await runCli('src/cli/validate.ts', ['--budget', '5', '--max-output=16'], [
      JSON.stringify({ id: 1, program: loop, input: '' }),
      JSON.stringify({ id: 2, program: "function f() { return 'x'.repeat(20); }", input: '' }),
    ]);
    expect(out.map((l) => JSON.parse(l) as unknown)).toMatchObject([
      { id: 1, ok: false, reason: 'timeout' },
      { id: 2, ok: false, reason: 'output-too-large' },
    ]);
    expect(code).toBe(0);
  });

  it('prints usage with the limit defaults, and refuses bad flags in one line', async () => {
    const help = await runCli('src/cli/validate.ts', ['--help'], []);
    expect(help.code).toBe(0);
    const text = help.out.join('\n');
    for (const flag of ['--budget N', '--memory-mb N', '--stack-kb N', '--deadline-ms N', '(default 100)', '(default 16)', '(default 256)', '"reason"']) {
      expect(text).toContain(flag);
    }
    const bad = await runCli('src/cli/validate.ts', ['--stack-kb', '1024'], []);
    expect(bad.code).toBe(2);
    expect(bad.err.trim()).toBe('validate: --stack-kb must be an integer from 16 to 384, got "1024"');
  });
});
