// The model configurations the bench measures, and the batch shapes it measures them on.
import { makeConfig, type GPTConfig } from '../src/model/gpt';
import { vocabSize } from '../src/model/tokenizer';

export type BenchConfigName = 'tiny' | 'default' | 'small' | 'medium' | 'ref04m';

/**
 * `tiny`, `default`, `small` and `medium` are src/model/gpt.ts's presets (the last two are for a real GPU: bench/gpu.sh) with the tokenizer's vocabulary; `ref04m` is the
 * 0.4 M-parameter step that ../shared/BROWSER.md measured (2 layers, d = 128, 4 heads, vocabulary 96),
 * kept so its numbers can be compared with that table.
 */
export function benchConfig(name: BenchConfigName): GPTConfig {
  if (name === 'ref04m') return { vocabSize: 96, contextLength: 64, nLayer: 2, nHead: 4, dModel: 128, dFF: 512, dropout: 0 };
  return makeConfig(name, vocabSize);
}

/** Training batch: 16 sequences × 64 tokens (the BROWSER.md step's shape), every target counted. */
export const TRAIN_B = 16;
export const TRAIN_T = 64;

/** Sampling: 16 prompts of 32 tokens, 64 new tokens each (no end token, so every row runs to the cap). */
export const SAMPLE_B = 16;
export const SAMPLE_PROMPT = 32;
export const SAMPLE_NEW = 64;

/** Optimiser settings shared with bench/torch_gpt.py, so both take the same step. */
export const LEARNING_RATE = 1e-3;
export const WEIGHT_DECAY = 0.01;
