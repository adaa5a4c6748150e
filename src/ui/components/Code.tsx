import { tokenizer, type Token } from 'acorn';
import type { ReactNode } from 'react';

// The special tokens of the prompt layouts (src/azr/prompts.ts), as they appear in raw model output.
const SPECIAL = /<(pad|bos|eos|sep|ref|program|input|output|message|propose|solve|deduction|abduction|induction)>/g;
const MARKER_LABEL: Record<string, string> = { eos: 'end', sep: ',', input: 'input', output: 'output', message: 'message', program: 'program' };

function tokenClass(t: Token): string {
  const type = t.type as unknown as { label: string; keyword?: string };
  if (type.keyword) return 'tk-keyword';
  if (type.label === 'name') return 'tk-name';
  if (type.label === 'num') return 'tk-number';
  if (type.label === 'string' || type.label === 'template') return 'tk-string';
  return 'tk-punct';
}

/**
 * Highlights JavaScript with acorn's tokenizer; text it cannot tokenize stays plain. Names take the code's
 * own colour and need no element, and neighbouring tokens of one class (with the spaces between them)
 * share one span: a step lands dozens of programs at once, and every element is layout and paint.
 */
export function Code({ text, inline = false }: { text: string; inline?: boolean }) {
  const parts: ReactNode[] = [];
  let at = 0; // text before `at` is emitted
  let run: { cls: string; start: number; end: number } | null = null;
  const flush = () => {
    if (!run) return;
    if (run.start > at) parts.push(text.slice(at, run.start));
    parts.push(<span key={run.start} className={run.cls}>{text.slice(run.start, run.end)}</span>);
    at = run.end;
    run = null;
  };
  try {
    for (const t of tokenizer(text, { ecmaVersion: 'latest' })) {
      const cls = tokenClass(t);
      if (run && run.cls === cls && /^\s*$/.test(text.slice(run.end, t.start))) {
        run.end = t.end;
        continue;
      }
      flush();
      if (cls !== 'tk-name') run = { cls, start: t.start, end: t.end };
    }
  } catch {
    // The rest (an unfinished string, a stray character) is shown as written.
  }
  flush();
  if (at < text.length) parts.push(text.slice(at));
  return inline ? <code className="code">{parts}</code> : <pre className="code">{parts}</pre>;
}

/** A raw response: code pieces highlighted, the layout's special tokens shown as small markers. */
export function ResponseText({ text }: { text: string }) {
  const out: ReactNode[] = [];
  let at = 0;
  for (const m of text.matchAll(SPECIAL)) {
    const i = m.index ?? 0;
    if (i > at) out.push(<Code key={`c${at}`} text={text.slice(at, i)} inline />);
    out.push(<span key={`m${i}`} className="marker">{MARKER_LABEL[m[1]] ?? m[1]}</span>);
    at = i + m[0].length;
  }
  if (at < text.length) out.push(<Code key={`c${at}`} text={text.slice(at)} inline />);
  return <span className="response">{out}</span>;
}
