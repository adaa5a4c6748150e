// Whether constrained decoding could produce a text: feeds the text's tokens one by one to the
// grammar constraint of a response kind (src/model/grammar) and reports the first refused token.
// The base model must learn only what constrained decoding can write, so pretraining targets and the
// eval suite go through this check.
import { createConstraint, type ConstraintKind, type ConstraintOptions } from '../model/grammar';
import { decode, encode, vocabSize } from '../model/tokenizer';

export type Acceptance = { ok: true } | { ok: false; at: number; reason: string };

/** `text` is a whole response, `<eos>` included; `maxTokens` is the response's length cap. */
export function acceptedBy(kind: ConstraintKind, text: string, maxTokens: number, options: ConstraintOptions = {}): Acceptance {
  const ids = encode(text);
  if (ids.length > maxTokens) return { ok: false, at: maxTokens, reason: `${ids.length} tokens, over the cap of ${maxTokens}` };
  let c;
  try { c = createConstraint(kind, maxTokens, options); } catch (e) { return { ok: false, at: 0, reason: (e as Error).message }; }
  const mask = new Uint8Array(vocabSize);
  for (let i = 0; i < ids.length; i++) {
    if (c.done) return { ok: false, at: i, reason: `complete before ${JSON.stringify(decode(ids.slice(i)))}` };
    c.allowed(mask);
    if (!mask[ids[i]]) return { ok: false, at: i, reason: `token ${JSON.stringify(decode([ids[i]]))} refused after ${JSON.stringify(decode(ids.slice(Math.max(0, i - 12), i)))}` };
    c.advance(ids[i]);
  }
  return c.done ? { ok: true } : { ok: false, at: ids.length, reason: 'incomplete' };
}
