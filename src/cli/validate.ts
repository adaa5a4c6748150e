/**
 * `npm run -s validate`: JSON Lines of proposed tasks on stdin, one verdict line out per line in.
 * In:  {"id", "program", "input"}  (input: the argument list as written between a call's parentheses)
 * Out: {"id", "ok": true, "output": "<canonical>"} or {"id", "ok": false, "reason", "message"}
 */
import { answerLine, keyProblem, parseObjectLine, runCli, serveJsonLines, stringProblem, type Id } from './io';
import type { RunRequest } from '../sandbox/types';

const BODY = `Validates proposed programs: static checks, the input parsed as data, two runs in fresh QuickJS
contexts that must agree, a plain output.

in:  {"id", "program", "input"}      e.g. {"id": 1, "program": "function f(a) { return a.map(x => x * 2) }", "input": "[1, 2]"}
     "id" (string or number) is optional and echoed; "input" is the argument list as written between a
     call's parentheses ("" for none).
out: {"id", "ok": true, "output": "<canonical>"}   e.g. {"id": 1, "ok": true, "output": "[2,4]"}
     {"id", "ok": false, "reason", "message"}, reason one of: syntax, forbidden, timeout, memory, stack,
     runtime-error, nondeterministic, output-not-plain, output-too-large, sandbox-crash.
The output is canonical (JSON, object keys sorted, -0 as 0) and valid literal syntax, so it can be fed
back as an answer to \`check\`.`;

runCli('validate', BODY, (options) =>
  serveJsonLines(options, async (executor, lines) => {
    const out: (string | { id?: Id; request: RunRequest })[] = lines.map((line) => {
      const parsed = parseObjectLine(line);
      if (!parsed.ok) return answerLine(parsed.id, { error: parsed.error });
      const problem = keyProblem(parsed.value, ['program', 'input']) ?? stringProblem(parsed.value, ['program', 'input']);
      if (problem) return answerLine(parsed.id, { error: problem });
      return { id: parsed.id, request: { program: parsed.value.program as string, input: parsed.value.input as string } };
    });
    const good = out.filter((o) => typeof o !== 'string');
    const verdicts = await executor.runBatch(good.map((o) => o.request));
    let k = 0;
    return {
      lines: out.map((o) => (typeof o === 'string' ? o : answerLine(o.id, { ...verdicts[k++] }))),
      bad: out.length - good.length,
    };
  }),
);
