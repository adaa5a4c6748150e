/**
 * `npm run -s check`: JSON Lines of answers to check on stdin, one result line out per line in.
 * In:  {"id", "type": "deduction", "program", "input", "answer"}
 *      {"id", "type": "abduction", "program", "output", "answer"}
 *      {"id", "type": "induction", "pairs": [{"input", "output"}], "answer": "<program>"}
 * Out: {"id", "correct": true} or {"id", "correct": false, "reason", "message"}
 */
import { answerLine, keyProblem, parseObjectLine, runCli, serveJsonLines, stringProblem, type Id } from './io';
import { checkAnswers, type CheckRequest } from '../sandbox/check';

const BODY = `Checks answers. Answers are data: parsed by a strict literal parser, never evaluated; values are
compared by canonical serialisation (1.0 equals 1, -0 equals 0, key order and whitespace never matter).

in:  {"id", "type": "deduction", "program", "input", "answer"}   answer: the predicted output, a literal
     {"id", "type": "abduction", "program", "output", "answer"}  answer: an argument list; correct when
                                                                 f(answer) equals output (any input that works)
     {"id", "type": "induction", "pairs": [{"input", "output"}, ...], "answer": "<program>"}
                                                                 correct when the program is valid and
                                                                 matches every pair
     "input", "output", "answer" and the pairs' fields are literal text, as in \`validate\`; "id" is optional.
out: {"id", "correct": true}
     {"id", "correct": false, "reason", "message"}, reason one of: wrong-answer, answer-syntax (the answer
     is not a literal / argument list), or the executor's reason for the run that failed (syntax, forbidden,
     timeout, memory, stack, runtime-error, nondeterministic, output-not-plain, output-too-large,
     sandbox-crash; "syntax" also when the task's own literals do not parse).`;

const KEYS: Record<CheckRequest['type'], readonly string[]> = {
  deduction: ['type', 'program', 'input', 'answer'],
  abduction: ['type', 'program', 'output', 'answer'],
  induction: ['type', 'pairs', 'answer'],
};

function toRequest(object: Record<string, unknown>): CheckRequest | string {
  const type = object.type;
  if (type !== 'deduction' && type !== 'abduction' && type !== 'induction') {
    return Object.hasOwn(object, 'type')
      ? `"type" must be one of deduction, abduction, induction, got ${JSON.stringify(type)}`
      : 'missing key "type" (deduction, abduction or induction)';
  }
  const keys = KEYS[type];
  const problem = keyProblem(object, keys) ?? stringProblem(object, keys.filter((k) => k !== 'pairs'));
  if (problem) return problem;
  if (type !== 'induction') return object as unknown as CheckRequest;
  const pairs = object.pairs;
  if (!Array.isArray(pairs) || pairs.length === 0) return '"pairs" must be a non-empty array of {"input", "output"}';
  for (const [i, pair] of pairs.entries()) {
    if (typeof pair !== 'object' || pair === null || Array.isArray(pair)) return `pairs[${i}] must be an object {"input", "output"}`;
    const where = ` in pairs[${i}]`;
    const pairProblem = keyProblem(pair as Record<string, unknown>, ['input', 'output'], where, false) ??
      stringProblem(pair as Record<string, unknown>, ['input', 'output'], where);
    if (pairProblem) return pairProblem;
  }
  return { type, pairs: pairs as { input: string; output: string }[], answer: object.answer as string };
}

runCli('check', BODY, (options) =>
  serveJsonLines(options, async (executor, lines) => {
    const out: (string | { id?: Id; request: CheckRequest })[] = lines.map((line) => {
      const parsed = parseObjectLine(line);
      if (!parsed.ok) return answerLine(parsed.id, { error: parsed.error });
      const request = toRequest(parsed.value);
      return typeof request === 'string' ? answerLine(parsed.id, { error: request }) : { id: parsed.id, request };
    });
    const good = out.filter((o) => typeof o !== 'string');
    const results = await checkAnswers(executor, good.map((o) => o.request));
    let k = 0;
    return {
      lines: out.map((o) => (typeof o === 'string' ? o : answerLine(o.id, { ...results[k++] }))),
      bad: out.length - good.length,
    };
  }),
);
