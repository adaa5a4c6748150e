// AdamW (Loshchilov & Hutter): Adam with weight decay decoupled from the gradient — tfjs ships Adam but
// not this. Decay applies to matrices (embeddings included), not to LayerNorm gains and biases, as in
// nanoGPT. Defaults are PyTorch's (β = 0.9, 0.999; ε = 1e-8; decay 0.01).
import { tf } from './tf';
import { adamWUpdate } from './wasm-kernels';
import { adamWStep } from './webgpu-kernels';

export interface AdamWOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
}

interface Slot {
  param: tf.Variable;
  m: tf.Variable;
  v: tf.Variable;
  decay: boolean;
}

export class AdamW {
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private readonly slots = new Map<string, Slot>();
  private t = 0;

  constructor(params: ReadonlyMap<string, tf.Variable>, options: AdamWOptions) {
    this.learningRate = options.learningRate;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    for (const [name, param] of params) {
      this.slots.set(name, tf.tidy(() => ({
        param,
        m: tf.variable(tf.zerosLike(param), false),
        v: tf.variable(tf.zerosLike(param), false),
        decay: param.rank >= 2,
      })));
    }
  }

  /** Steps taken so far. */
  get step(): number {
    return this.t;
  }

  /** One update from `grads` (by parameter name), each multiplied by `gradScale` first (clipping). */
  apply(grads: ReadonlyMap<string, tf.Tensor>, gradScale = 1): void {
    this.t++;
    const lr = this.learningRate;
    const c1 = 1 / (1 - this.beta1 ** this.t);
    const c2 = 1 / (1 - this.beta2 ** this.t);
    tf.tidy(() => {
      for (const [name, slot] of this.slots) {
        const raw = grads.get(name);
        if (!raw) throw new Error(`AdamW: no gradient for ${name}`);
        const keep = slot.decay && this.weightDecay > 0 ? 1 - lr * this.weightDecay : 1;
        const scalars = { lr, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, c1, c2, keep, gradScale };
        // One kernel on wasm (small parameters), three dispatches on WebGPU, else ≈ 16 tfjs ops.
        const fused = adamWUpdate(slot.param, raw, slot.m, slot.v, scalars) ?? adamWStep(slot.param, raw, slot.m, slot.v, scalars);
        if (fused) {
          slot.param.assign(fused[0]);
          slot.m.assign(fused[1]);
          slot.v.assign(fused[2]);
          continue;
        }
        const g = gradScale === 1 ? raw : tf.mul(raw, gradScale);
        slot.m.assign(tf.add(tf.mul(slot.m, this.beta1), tf.mul(g, 1 - this.beta1)));
        slot.v.assign(tf.add(tf.mul(slot.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const update = tf.div(tf.mul(slot.m, c1), tf.add(tf.sqrt(tf.mul(slot.v, c2)), this.epsilon));
        const decayed = keep === 1 ? slot.param : tf.mul(slot.param, keep);
        slot.param.assign(tf.sub(decayed, tf.mul(update, lr)));
      }
    });
  }

  dispose(): void {
    for (const slot of this.slots.values()) {
      slot.m.dispose();
      slot.v.dispose();
    }
    this.slots.clear();
  }
}
