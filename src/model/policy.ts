// The model as the self-play loop sees it (src/azr/policy.ts's `Policy`): prompts in, sampled
// responses out with what the loss needs, and one TRR++ policy-gradient step. Everything tensor-shaped
// stays inside src/model.

import type { Generation, GenerationOptions, GenerationRequest, Policy, PolicyTrajectory, UpdateOptions, UpdateStats } from '../azr/policy';
import { AdamW } from './adamw';
import type { DecodeConstraint } from './constraint';
import { GPT } from './gpt';
import { createConstraint, minTokens, type ConstraintKind } from './grammar';
import { sample, type SampleRequest } from './sampler';
import { decode, encode, SPECIAL } from './tokenizer';
import { policyStep, responseLogProbs } from './train';
import { releaseIdleGpuBuffers } from './webgpu-pool';

export class ModelPolicy implements Policy {
  readonly optimizer: AdamW;
  /**
   * A frozen copy of the weights the KL penalty pulls toward: taken at the first update with klCoef > 0,
   * which is the starting model when the penalty is on from the start.
   */
  private reference: GPT | undefined;

  constructor(readonly model: GPT, optimizer: { learningRate: number; weightDecay: number }) {
    this.optimizer = new AdamW(model.params, optimizer);
  }

  get contextLength(): number { return this.model.config.contextLength; }

  encode(text: string): number[] { return encode(text); }

  private constraintFor(r: GenerationRequest, cap: number): DecodeConstraint | undefined {
    const kind = r.kind as ConstraintKind;
    const options = { arity: r.arity, pairs: kind === 'induction' ? r.inductionInputs : undefined };
    if (cap < minTokens(kind, options)) return undefined;
    return createConstraint(kind, cap, options);
  }

  async generate(requests: readonly GenerationRequest[], options: GenerationOptions): Promise<Generation[]> {
    const out: Generation[] = new Array(requests.length);
    // One sampler call for every request, whatever its length cap and temperature: the batch decodes
    // together, so its sequential decode steps are the longest cap's rather than the sum over caps.
    const prompts = requests.map((r) => this.encode(r.prompt));
    const caps = requests.map((r, i) => Math.max(0, Math.min(r.maxTokens, this.contextLength - prompts[i].length)));
    const members: number[] = [];
    caps.forEach((cap, i) => {
      // The prompt fills the context: nothing can be written, which the loop reads as malformed.
      if (cap === 0) out[i] = { text: '', promptIds: prompts[i], responseIds: [], logProbs: [] };
      else members.push(i);
    });
    if (members.length === 0) return out;
    const sampleRequests: SampleRequest[] = members.map((i) => ({
      prompt: prompts[i],
      maxNewTokens: caps[i],
      temperature: requests[i].temperature,
      constraint: options.constrained ? this.constraintFor(requests[i], caps[i]) : undefined,
    }));
    const results = await sample(this.model, sampleRequests, {
      maxNewTokens: Math.max(...sampleRequests.map((r) => r.maxNewTokens!)), endToken: SPECIAL.eos,
      temperature: options.temperature, topK: options.topK, greedy: options.greedy, seed: options.seed >>> 0,
    });
    results.forEach((r, j) => {
      const i = members[j];
      out[i] = { text: decode(r.tokens), promptIds: prompts[i], responseIds: r.tokens, logProbs: r.logProbs, masks: r.masks };
    });
    return out;
  }

  /**
   * One policy-gradient step over the trajectories. Self-play calls it once per step, so it is also where
   * the WebGPU backend's buffer pool lets go of the sizes this step no longer used (./webgpu-pool).
   */
  async update(trajectories: readonly PolicyTrajectory[], options: UpdateOptions): Promise<UpdateStats> {
    try {
      return await this.policyUpdate(trajectories, options);
    } finally {
      releaseIdleGpuBuffers();
    }
  }

  private async policyUpdate(trajectories: readonly PolicyTrajectory[], options: UpdateOptions): Promise<UpdateStats> {
    const usable = trajectories.filter((t) => t.generation.responseIds.length > 0);
    if (usable.length === 0) return { loss: 0, entropy: 0, gradNorm: 0, clipFraction: 0, tokens: 0, klToReference: 0 };
    this.optimizer.learningRate = options.learningRate;
    const trained = usable.map((t) => ({
      promptIds: t.generation.promptIds, responseIds: t.generation.responseIds, oldLogProbs: t.generation.logProbs,
      masks: t.generation.masks, advantage: t.advantage,
    }));
    const refLogProbs = options.klCoef > 0 ? await responseLogProbs(this.referenceModel(), trained, options.temperature) : undefined;
    const r = await policyStep(this.model, this.optimizer, refLogProbs ? trained.map((t, i) => ({ ...t, refLogProbs: refLogProbs[i] })) : trained, {
      clipEps: options.clipEpsilon, entropyCoef: options.entropyCoef, temperature: options.temperature, maxGradNorm: options.gradClip,
      klCoef: options.klCoef,
    });
    return { loss: r.loss, entropy: r.entropy, gradNorm: r.gradNorm, clipFraction: r.clipFraction, tokens: r.tokens, klToReference: r.refKl };
  }

  private referenceModel(): GPT {
    if (!this.reference) {
      const reference = new GPT(this.model.config, 0);
      for (const [name, p] of this.model.params) reference.param(name).assign(p);
      this.reference = reference;
    }
    return this.reference;
  }

  /** Frees the optimiser's state and the reference copy, if one was made (the model is the caller's). */
  dispose(): void {
    this.optimizer.dispose();
    this.reference?.dispose();
    this.reference = undefined;
  }
}
