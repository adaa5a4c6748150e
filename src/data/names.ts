// The identifiers generated programs use, all from the tokenizer's fixed identifier set, so every
// program encodes to whole tokens (see the tokenizer test in generator.test.ts).
export const NAMES = {
  /** Parameters, in order. */
  params: ['a', 'b', 'c'],
  /** Callback parameter and loop element. */
  item: 'x',
  /** Second comparator parameter. */
  other: 'y',
  /** Reduce accumulator. */
  acc: 'acc',
  /** Loop counter. */
  index: 'i',
  /** A local holding the result being built. */
  result: 'r',
  /** A local holding an intermediate value. */
  temp: 't',
} as const;
