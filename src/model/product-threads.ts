// A second core for the wasm backend's big products. tfjs-wasm's heap is not shared (its threaded build
// needs a SharedArrayBuffer heap and Emscripten's pthread workers, which Node here and a page without
// cross-origin isolation do not give), so a helper thread cannot read the tensors where they lie. Instead,
// for a product C = A·B of M rows the calling thread copies the rows of A that the helper will multiply,
// and all of B, into a shared memory; the helper runs ./wasm-simd's `mm` over its rows there while the
// caller runs its own rows on the heap; then the caller copies the helper's rows of C back.
//
// Rows are split, never k or columns: each element of C is the same sum in the same order on either
// thread (the same `mm`, fused or not as the caller's), so a split product is bit for bit the unsplit one.
//
// Plain TypeScript over WebAssembly, SharedArrayBuffer and Atomics: the helper's loop blocks in
// Atomics.wait, so it runs in a worker (a browser worker or a Node worker_thread), and the caller waits
// for it the same way, so the caller must be a worker or Node's main thread (never a page's main thread).
import { SimdMatmul } from './wasm-simd';

/** Control words (Int32Array on a SharedArrayBuffer). */
const SEQ = 0; // the caller's task number, bumped to start a task; −1 to stop
const DONE = 1; // the last task number the helper finished
const READY = 2; // 1 once the helper serves
const ARGS = 3; // a, sAm, sAk, b, ldb, c, ldc, M, K, N, accumulate (float offsets into the shared memory)
export const CONTROL_INTS = ARGS + 11;

/** What the caller and the helper share: the memory both multiply in, the control words, and which `mm`. */
export interface ProductLink {
  memory: WebAssembly.Memory;
  control: Int32Array;
  fused: boolean;
}

/** A shared memory and control words for a helper, or undefined where memory cannot be shared here. */
export function createProductLink(fused: boolean): ProductLink | undefined {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return undefined;
  try {
    // 1 GiB at most: a shared memory cannot move, so its maximum is reserved up front.
    const memory = new WebAssembly.Memory({ initial: 16, maximum: 16_384, shared: true });
    if (!(memory.buffer instanceof SharedArrayBuffer)) return undefined;
    return { memory, control: new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4)), fused };
  } catch {
    return undefined;
  }
}

/**
 * The helper's loop (in its own thread; blocks): waits for a task, multiplies its rows in the shared
 * memory, says it is done; returns when the caller stops it. Throws where SIMD is missing.
 */
export function serveProductHelper(link: ProductLink): void {
  const product = SimdMatmul.create(link.memory, { fused: link.fused });
  if (!product || product.fused !== link.fused) throw new Error('product helper: no WebAssembly SIMD product of the caller\'s kind here');
  const ctl = link.control;
  Atomics.store(ctl, READY, 1);
  Atomics.notify(ctl, READY);
  let seen = Atomics.load(ctl, SEQ);
  for (;;) {
    const seq = spinWhile(ctl, SEQ, seen, HELPER_SPIN_MS);
    if (seq < 0) return;
    if (seq === seen) {
      Atomics.wait(ctl, SEQ, seen);
      continue;
    }
    seen = seq;
    const [a, sAm, sAk, b, ldb, c, ldc, M, K, N, accumulate] = Array.from(ctl.subarray(ARGS, ARGS + 11));
    product.mm(a, sAm, sAk, b, ldb, c, ldc, M, K, N, accumulate === 1);
    Atomics.store(ctl, DONE, seq);
    Atomics.notify(ctl, DONE);
  }
}

/**
 * How long each side polls before it sleeps in Atomics.wait. A thread woken from a futex tends to be
 * woken on the waker's core (Linux's wake-affine placement), and then the two halves ran one after the
 * other about half the time (measured: split products as slow as unsplit ones); a helper that polls
 * between the products of a training step stays on its own core. It sleeps after a quiet while (decoding
 * makes no product big enough to split).
 */
const HELPER_SPIN_MS = 50;
const CALLER_SPIN_MS = 2;

/** Polls word `i` while it equals `value`, at most `ms`; returns its last value. */
function spinWhile(ctl: Int32Array, i: number, value: number, ms: number): number {
  const until = performance.now() + ms;
  for (let n = 1; ; n++) {
    const now = Atomics.load(ctl, i);
    if (now !== value) return now;
    if ((n & 255) === 0 && performance.now() > until) return now;
  }
}

/** What the helper gets of a product: its rows, and the blocks the caller copies for it (float offsets). */
export interface SplitPlan {
  /** Rows 0 … mine − 1 stay with the caller; mine … M − 1 go to the helper. */
  mine: number;
  rows: number;
  /** The helper's rows of A, every k (a bounding block, whatever the strides): [aLo, aHi). */
  aLo: number;
  aHi: number;
  /** All of B: [b, bHi). */
  bHi: number;
  /** The helper's rows of C: cLen floats from cLo. */
  cLo: number;
  cLen: number;
  /** Multiply-adds the helper does per float the caller copies (in, and C back). */
  macsPerCopiedFloat: number;
}

/**
 * The split of C = A·B (A's element (m, k) at a + m·sAm + k·sAk, B's (k, n) at b + k·ldb + n, C's (m, n)
 * at c + m·ldc + n). The helper pays the copies' wait, so it takes a little less than half, in whole row
 * pairs (the `mm`'s row tiles).
 */
export function splitPlan(a: number, sAm: number, sAk: number, b: number, ldb: number, c: number, ldc: number, M: number, K: number, N: number, accumulate: boolean): SplitPlan {
  const mine = Math.min(M, 2 * Math.ceil((M * 0.52) / 2));
  const rows = M - mine;
  const aLo = a + mine * sAm;
  const aHi = a + (M - 1) * sAm + (K - 1) * sAk + 1;
  const bHi = b + (K - 1) * ldb + N;
  const cLo = c + mine * ldc;
  const cLen = rows > 0 ? (rows - 1) * ldc + N : 0;
  const copied = (aHi - aLo) + (bHi - b) + cLen * (accumulate ? 2 : 1);
  return { mine, rows, aLo, aHi, bHi, cLo, cLen, macsPerCopiedFloat: (rows * K * N) / Math.max(1, copied) };
}

/**
 * A product is split when the helper's share is at least this many multiply-adds, and at least
 * SPLIT_MIN_MACS_PER_FLOAT of them per float copied: below either, the copies, the wake-up and two cores
 * contending for the caches and memory cost more than the second core gives. Measured on this machine's
 * two cores: a tiny training step (its vocabulary logits 1024 × 32 · 32 × 404, ≈ 11 multiply-adds per copied float; its MLP's
 * weight gradients, ≈ 13) ran 2–2.7× slower split; the default model's projections (≈ 80) and weight
 * gradients (≈ 40) 1.25–1.45× faster.
 */
export const SPLIT_MIN_MACS = 1 << 21;
export const SPLIT_MIN_MACS_PER_FLOAT = 32;

/** How long the caller waits for the helper, by default, before doing the helper's rows itself (a dead helper). */
const HELPER_TIMEOUT_MS = 10_000;

/** The caller's side: splits a product's rows with the helper. */
export class ProductThreads {
  private seq = 0;
  private shared: Float32Array;
  private broken = false;
  /** Products split so far (tests and benchmarks read it). */
  splits = 0;
  /** Off: every product stays on the calling thread (A/B comparisons in one process). */
  enabled = true;

  constructor(private readonly link: ProductLink, private readonly timeoutMs = HELPER_TIMEOUT_MS) {
    this.shared = new Float32Array(link.memory.buffer);
  }

  /** Whether the helper serves (it sets READY once its loop runs) and has not failed. */
  get ready(): boolean {
    return !this.broken && Atomics.load(this.link.control, READY) === 1;
  }

  /**
   * `own.mm(a, sAm, sAk, b, ldb, c, ldc, M, K, N, accumulate)` over `heap` (own's memory as floats), its
   * rows split with the helper where that pays (see SPLIT_MIN_MACS); returns whether it split.
   */
  mm(heap: Float32Array, own: SimdMatmul, a: number, sAm: number, sAk: number, b: number, ldb: number, c: number, ldc: number, M: number, K: number, N: number, accumulate = false): boolean {
    const plan = splitPlan(a, sAm, sAk, b, ldb, c, ldc, M, K, N, accumulate);
    const { mine, rows, aLo, aHi, bHi, cLo, cLen } = plan;
    if (!this.enabled || own.fused !== this.link.fused || rows < 1 || rows * K * N < SPLIT_MIN_MACS || plan.macsPerCopiedFloat < SPLIT_MIN_MACS_PER_FLOAT || !this.ready) {
      own.mm(a, sAm, sAk, b, ldb, c, ldc, M, K, N, accumulate);
      return false;
    }
    const [A, B, C] = [0, aHi - aLo, aHi - aLo + (bHi - b)];
    const floats = C + cLen;
    if (floats * 4 > this.link.memory.buffer.byteLength) {
      this.link.memory.grow(Math.ceil((floats * 4 - this.link.memory.buffer.byteLength) / 65536));
    }
    if (this.shared.buffer !== this.link.memory.buffer || this.shared.length * 4 < this.link.memory.buffer.byteLength) {
      this.shared = new Float32Array(this.link.memory.buffer);
    }
    const s = this.shared;
    s.set(heap.subarray(aLo, aHi), A);
    s.set(heap.subarray(b, bHi), B);
    if (accumulate) s.set(heap.subarray(cLo, cLo + cLen), C);
    const ctl = this.link.control;
    ctl.set([A, sAm, sAk, B, ldb, C, ldc, rows, K, N, accumulate ? 1 : 0], ARGS);
    const seq = ++this.seq;
    Atomics.store(ctl, SEQ, seq);
    Atomics.notify(ctl, SEQ);
    own.mm(a, sAm, sAk, b, ldb, c, ldc, mine, K, N, accumulate);
    if (!this.waitFor(seq)) {
      // The helper did not answer: do its rows here, and stop splitting.
      this.broken = true;
      own.mm(aLo, sAm, sAk, b, ldb, cLo, ldc, rows, K, N, accumulate);
      return false;
    }
    // The heap's view may have been replaced meanwhile only by a growth, which nothing here does.
    if (ldc === N) heap.set(s.subarray(C, C + rows * N), cLo);
    else for (let r = 0; r < rows; r++) heap.set(s.subarray(C + r * ldc, C + r * ldc + N), cLo + r * ldc);
    this.splits++;
    return true;
  }

  private waitFor(seq: number): boolean {
    const ctl = this.link.control;
    const deadline = performance.now() + this.timeoutMs;
    if (spinWhile(ctl, DONE, seq - 1, CALLER_SPIN_MS) === seq) return true;
    for (;;) {
      const done = Atomics.load(ctl, DONE);
      if (done === seq) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      Atomics.wait(ctl, DONE, done, left);
    }
  }

  /** Ends the helper's loop (its thread then finishes its task and returns). */
  stop(): void {
    Atomics.store(this.link.control, SEQ, -1);
    Atomics.notify(this.link.control, SEQ);
    this.broken = true;
  }
}

let attached: ProductThreads | undefined;

/** Makes the wasm backend's big products use the helper on `link` (its thread started by the caller). */
export function attachProductHelper(link: ProductLink): ProductThreads {
  attached?.stop();
  attached = new ProductThreads(link);
  return attached;
}

/** The attached helper, if any (./wasm-simd-kernels asks before each product). */
export function productThreads(): ProductThreads | undefined {
  return attached;
}

/** A helper's thread as its starter sees it (a Node worker_thread or a browser Worker). */
export interface HelperThread {
  terminate(): unknown;
}

/**
 * Attaches a helper on a new link for a product of `fused`'s kind and starts its thread with `spawn`,
 * which must call `lost` if the thread fails or ends; waits (up to 10 s) until it serves, so the first
 * products already split. Resolves with the thread, or undefined (nothing attached) where memory cannot
 * be shared or the helper never served: then every product stays on the calling thread.
 */
export async function startProductHelper<T extends HelperThread>(fused: boolean, spawn: (link: ProductLink, lost: () => void) => T): Promise<T | undefined> {
  const link = createProductLink(fused);
  if (!link) return undefined;
  const threads = attachProductHelper(link);
  let failed = false;
  let thread: T | undefined;
  try {
    // A helper that fails or ends: products stay on this thread from then on, without waiting for it.
    thread = spawn(link, () => { failed = true; threads.stop(); });
  } catch {
    failed = true;
  }
  const until = performance.now() + 10_000;
  while (!threads.ready && !failed && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
  if (threads.ready && thread) return thread;
  detachProductHelper();
  thread?.terminate();
  return undefined;
}

/** Stops and forgets the attached helper: products run on one thread again. */
export function detachProductHelper(): void {
  attached?.stop();
  attached = undefined;
}
