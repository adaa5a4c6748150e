// What the self-play loop needs from the model, in the loop's own words. `src/model/` implements it
// with tfjs; the loop never touches a tensor.

import type { ResponseKind } from './prompts';

export interface GenerationRequest {
  /** Prompt text in the layouts of prompts.ts. */
  prompt: string;
  kind: ResponseKind;
  /** Length cap of the response, end token included. */
  maxTokens: number;
  /** For `induction` responses: how many inputs to write. */
  inductionInputs?: number;
  /** For argument lists (abduction answers, induction inputs): how many arguments `f` takes. */
  arity?: number;
  /** Sampling temperature of this response, in place of `GenerationOptions.temperature`. */
  temperature?: number;
}

export interface GenerationOptions {
  temperature: number;
  topK: number;
  constrained: boolean;
  /** Seeds the sampler; the same seed and requests give the same responses on one backend. */
  seed: number;
  /** Greedy decoding (evaluation). */
  greedy?: boolean;
}

/** One sampled response, with what the policy-gradient loss needs to score it again. */
export interface Generation {
  text: string;
  promptIds: number[];
  responseIds: number[];
  /** Log-probability of each response token under the distribution it was sampled from. */
  logProbs: number[];
  /** Per response token, the allowed-token mask used when sampling (constrained decoding only). */
  masks?: Uint8Array[];
}

export interface PolicyTrajectory { generation: Generation; advantage: number }

export interface UpdateOptions {
  learningRate: number;
  /** The temperature the trained responses were sampled at; the loss scores the same distribution. */
  temperature: number;
  clipEpsilon: number;
  entropyCoef: number;
  weightDecay: number;
  gradClip: number;
  /** β of the KL penalty to the reference (starting) model; 0 = none, as in the paper. */
  klCoef: number;
}

export interface UpdateStats {
  loss: number;
  entropy: number;
  gradNorm: number;
  clipFraction: number;
  tokens: number;
  /** Token-mean k3 estimate of KL(policy ‖ reference) before the step; 0 when no penalty is on. */
  klToReference: number;
}

export interface Policy {
  /** Token count of a text in the model's vocabulary (for context budgets). */
  encode(text: string): number[];
  readonly contextLength: number;
  generate(requests: readonly GenerationRequest[], options: GenerationOptions): Promise<Generation[]>;
  /** One policy-gradient step (AdamW) over all trajectories. */
  update(trajectories: readonly PolicyTrajectory[], options: UpdateOptions): Promise<UpdateStats>;
}
