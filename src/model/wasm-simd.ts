// A matrix product in WebAssembly SIMD, assembled here from its instructions (no toolchain, no binary in
// the repository), for the wasm backend's projections and attention (./wasm-simd-kernels).
//
// tfjs-wasm ran every (sequence, head) block of attention as its own kernel: at the tiny model's sizes
// (64 × 64 × 16 blocks) each such kernel cost more in the engine's per-kernel bookkeeping than in
// arithmetic, and a training step had hundreds of them. The kernels of ./wasm-simd-kernels make their
// products here instead, on tfjs-wasm's own memory, where the tensors lie.
//
// `mm` computes C[m, n] (+)= Σ_k A[m·sAm + k·sAk] · B[k·ldb + n] for m < M, n < N, k < K: A with any
// strides (so Aᵀ costs nothing), B and C row-major with their leading dimensions. Its inner loop holds a
// 2 × 16 tile of C in eight f32x4 registers: per k, four vectors of B and one broadcast element of A per
// row; then 2 × 4 tiles, scalar tails for the last columns, and 1 × 16 / 1 × 4 tiles for a last odd row.
// Pointers are byte offsets into `memory`, strides are in elements. `simdModuleBytes(plan)` takes other
// tile shapes, for measuring them (`[rows, [vectors per tile, …]]` per block of rows).
//
// Where the engine has relaxed SIMD (Chromium since 114, Node from 22, Node 20 with the V8 flag that
// ./node-backend sets), each multiply-add is one `f32x4.relaxed_madd`: the loop was bound by how many
// instructions the core issues, not by its arithmetic, and measured on this machine's EPYC (one core,
// 480 × 128 · 128 × 384 and 480 × 512 · 512 × 128) it went from 31 to 42 GFLOP/s. Unrolling k by 2 or 4
// was slower (21–24 GFLOP/s), with or without it, so the loop tests and branches once per k.
//
// The module also holds attention's row arithmetic, which ran as JS loops over the heap: `softmax` (scale,
// bias, max, e^x as a polynomial, normalise) and `softmaxGrad` (dS = scale·P·(dP − Σ dP·P)), four lanes at
// a time.

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function f32bytes(x: number): number[] {
  return [...new Uint8Array(new Float32Array([x]).buffer)];
}

/** A function body, written one instruction at a time. */
class Code {
  readonly bytes: number[] = [];
  private op(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }
  get(l: number): this { return this.op(0x20, ...uleb(l)); }
  set(l: number): this { return this.op(0x21, ...uleb(l)); }
  i32(v: number): this { return this.op(0x41, ...sleb(v)); }
  f32zero(): this { return this.op(0x43, 0, 0, 0, 0); }
  add(): this { return this.op(0x6a); }
  sub(): this { return this.op(0x6b); }
  mul(): this { return this.op(0x6c); }
  shl(): this { return this.op(0x74); }
  geS(): this { return this.op(0x4e); }
  gtS(): this { return this.op(0x4a); }
  leS(): this { return this.op(0x4c); }
  ltS(): this { return this.op(0x48); }
  f32load(offset = 0): this { return this.op(0x2a, 2, ...uleb(offset)); }
  f32store(offset = 0): this { return this.op(0x38, 2, ...uleb(offset)); }
  f32add(): this { return this.op(0x92); }
  f32mul(): this { return this.op(0x94); }
  v128load(offset = 0): this { return this.op(0xfd, 0x00, 2, ...uleb(offset)); }
  v128store(offset = 0): this { return this.op(0xfd, 0x0b, 2, ...uleb(offset)); }
  v128zero(): this { return this.op(0xfd, 0x0c, ...new Array<number>(16).fill(0)); }
  f32x4splat(): this { return this.op(0xfd, ...uleb(0x13)); }
  /** v128.load32_splat: one f32 from memory into all four lanes. */
  v128load32splat(offset = 0): this { return this.op(0xfd, ...uleb(0x09), 2, ...uleb(offset)); }
  /** f32x4.relaxed_madd (relaxed SIMD): a·b + c, fused or not as the engine chooses. */
  f32x4madd(): this { return this.op(0xfd, ...uleb(0x105)); }
  f32x4sub(): this { return this.op(0xfd, ...uleb(229)); }
  f32x4div(): this { return this.op(0xfd, ...uleb(0xe7)); }
  f32x4abs(): this { return this.op(0xfd, ...uleb(0xe0)); }
  f32x4neg(): this { return this.op(0xfd, ...uleb(0xe1)); }
  /** v128.bitselect(a, b, mask): a where mask bits are set, b elsewhere. */
  v128bitselect(): this { return this.op(0xfd, ...uleb(0x52)); }
  f32sqrt(): this { return this.op(0x91); }
  f32convertI32S(): this { return this.op(0xb2); }
  /** f32x4.pmax: b < a ? a : b per lane (one maxps on x86). */
  f32x4pmax(): this { return this.op(0xfd, ...uleb(0xeb)); }
  f32x4nearest(): this { return this.op(0xfd, ...uleb(0x6a)); }
  f32x4ge(): this { return this.op(0xfd, ...uleb(0x46)); }
  f32x4extractLane(lane: number): this { return this.op(0xfd, ...uleb(0x1f), lane); }
  i32x4truncSatF32x4S(): this { return this.op(0xfd, ...uleb(0xf8)); }
  i32x4add(): this { return this.op(0xfd, ...uleb(0xae)); }
  i32x4shl(): this { return this.op(0xfd, ...uleb(0xab)); }
  v128and(): this { return this.op(0xfd, ...uleb(0x4e)); }
  /** v128.const of four equal float32 lanes. */
  f32x4const(x: number): this { return this.op(0xfd, 0x0c, ...[0, 1, 2, 3].flatMap(() => f32bytes(x))); }
  /** v128.const of four equal int32 lanes. */
  i32x4const(x: number): this { return this.op(0xfd, 0x0c, ...[0, 1, 2, 3].flatMap(() => [x & 255, (x >> 8) & 255, (x >> 16) & 255, (x >>> 24) & 255])); }
  f32const(x: number): this { return this.op(0x43, ...f32bytes(x)); }
  f32sub(): this { return this.op(0x93); }
  f32div(): this { return this.op(0x95); }
  f32max(): this { return this.op(0x97); }
  tee(l: number): this { return this.op(0x22, ...uleb(l)); }
  f32x4add(): this { return this.op(0xfd, ...uleb(228)); }
  f32x4mul(): this { return this.op(0xfd, ...uleb(230)); }
  block(): this { return this.op(0x02, 0x40); }
  loop(): this { return this.op(0x03, 0x40); }
  if(): this { return this.op(0x04, 0x40); }
  else(): this { return this.op(0x05); }
  end(): this { return this.op(0x0b); }
  br(depth: number): this { return this.op(0x0c, ...uleb(depth)); }
  brIf(depth: number): this { return this.op(0x0d, ...uleb(depth)); }
  /** local l += (value left on the stack by `push`) */
  addTo(l: number, push: (c: this) => void): this {
    this.get(l);
    push(this);
    return this.add().set(l);
  }
}

/** How the inner loop over k is written: steps of `unroll` k per test and branch; `fma` multiplies and adds in one relaxed-SIMD instruction. */
export interface KernelOptions {
  unroll: number;
  fma: boolean;
}

// Parameters and locals of `mm`.
const [A, SAM, SAK, B, LDB, C, LDC, M, K, N, ACC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const PARAMS = 11;
// i32 locals: the row block's first row, the column, k's countdown, pointers into B and C, strides in
// bytes, the row block's first A pointer, one A pointer per row of a tile, and where the scalar tail starts.
const [m, n, k, pb, pc, ldb4, sak4, sam4, ldc4, rowA, nStart] = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21];
const PA = 22; // PA..PA+3
const I32_LOCALS = 15;
// v128 locals: up to 12 accumulators, up to 4 loaded vectors of B, the broadcast element of A.
const ACCS = 26; // ACCS..ACCS+11
const BV = 38; // BV..BV+3
const S = 42;
const V128_LOCALS = 17;
const SF = 43;

/**
 * One pass over the columns in tiles of `rows` × 4·`vectors`, while n + 4·vectors ≤ N, for the rows
 * m … m + rows − 1 (their A rows start at rowA, sam4 bytes apart).
 */
function vectorTiles(c: Code, rows: number, vectors: number, kernel: KernelOptions): void {
  const width = 4 * vectors;
  const acc = (r: number, v: number) => ACCS + r * vectors + v;
  /** pc + r·ldc4 on the stack */
  const rowOfC = (r: number) => {
    c.get(pc);
    if (r > 0) c.get(ldc4).i32(r).mul().add();
  };
  c.block().loop();
  c.get(n).i32(width).add().get(N).gtS().brIf(1);
  c.get(C).get(m).get(LDC).mul().get(n).add().i32(2).shl().add().set(pc);
  c.get(ACC).if();
  for (let r = 0; r < rows; r++) for (let v = 0; v < vectors; v++) {
    rowOfC(r);
    c.v128load(16 * v).set(acc(r, v));
  }
  c.else();
  for (let r = 0; r < rows; r++) for (let v = 0; v < vectors; v++) c.v128zero().set(acc(r, v));
  c.end();
  for (let r = 0; r < rows; r++) {
    c.get(rowA);
    if (r > 0) c.get(sam4).i32(r).mul().add();
    c.set(PA + r);
  }
  c.get(B).get(n).i32(2).shl().add().set(pb);
  c.get(K).set(k);
  /** One k: every row's broadcast element of A times the loaded vectors of B, into the accumulators; then the pointers move on. */
  const oneK = () => {
    for (let v = 0; v < vectors && rows > 1; v++) c.get(pb).v128load(16 * v).set(BV + v);
    for (let r = 0; r < rows; r++) {
      c.get(PA + r).v128load32splat().set(S);
      for (let v = 0; v < vectors; v++) {
        const pushB = () => (rows > 1 ? c.get(BV + v) : c.get(pb).v128load(16 * v));
        if (kernel.fma) {
          c.get(S);
          pushB();
          c.get(acc(r, v)).f32x4madd().set(acc(r, v));
        } else {
          c.get(acc(r, v)).get(S);
          pushB();
          c.f32x4mul().f32x4add().set(acc(r, v));
        }
      }
    }
    for (let r = 0; r < rows; r++) c.addTo(PA + r, (x) => x.get(sak4));
    c.addTo(pb, (x) => x.get(ldb4));
  };
  // k in steps of `unroll` while that many are left (one test and branch per step), then one at a time.
  for (const step of kernel.unroll > 1 ? [kernel.unroll, 1] : [1]) {
    c.block().loop();
    c.get(k).i32(step).ltS().brIf(1);
    for (let u = 0; u < step; u++) oneK();
    c.get(k).i32(step).sub().set(k);
    c.br(0).end().end();
  }
  for (let r = 0; r < rows; r++) for (let v = 0; v < vectors; v++) {
    rowOfC(r);
    c.get(acc(r, v)).v128store(16 * v);
  }
  c.addTo(n, (x) => x.i32(width));
  c.br(0).end().end();
}

/** Columns n … N − 1 of row m + r, one at a time. */
function scalarTail(c: Code, r: number): void {
  c.block().loop();
  c.get(n).get(N).geS().brIf(1);
  c.get(C).get(m).i32(r).add().get(LDC).mul().get(n).add().i32(2).shl().add().set(pc);
  c.get(ACC).if().get(pc).f32load().set(SF).else().f32zero().set(SF).end();
  c.get(rowA);
  if (r > 0) c.get(sam4).i32(r).mul().add();
  c.set(PA);
  c.get(B).get(n).i32(2).shl().add().set(pb);
  c.get(K).set(k);
  c.block().loop();
  c.get(k).i32(0).leS().brIf(1);
  c.get(SF).get(PA).f32load().get(pb).f32load().f32mul().f32add().set(SF);
  c.addTo(PA, (x) => x.get(sak4));
  c.addTo(pb, (x) => x.get(ldb4));
  c.get(k).i32(1).sub().set(k);
  c.br(0).end().end();
  c.get(pc).get(SF).f32store();
  c.addTo(n, (x) => x.i32(1));
  c.br(0).end().end();
}

/** Rows in blocks of `rows` while m + rows ≤ M: vector tiles of `widths` vectors, then a scalar tail per row. */
function rowBlocks(c: Code, rows: number, widths: number[], kernel: KernelOptions): void {
  c.block().loop();
  c.get(m).i32(rows).add().get(M).gtS().brIf(1);
  c.get(A).get(m).get(SAM).mul().i32(2).shl().add().set(rowA);
  c.i32(0).set(n);
  for (const vectors of widths) vectorTiles(c, rows, vectors, kernel);
  c.get(n).set(nStart);
  for (let r = 0; r < rows; r++) {
    c.get(nStart).set(n);
    scalarTail(c, r);
  }
  c.addTo(m, (x) => x.i32(rows));
  c.br(0).end().end();
}

function mmBody(plan: [number, number[]][], kernel: KernelOptions): number[] {
  const c = new Code();
  c.get(LDB).i32(2).shl().set(ldb4);
  c.get(SAK).i32(2).shl().set(sak4);
  c.get(SAM).i32(2).shl().set(sam4);
  c.get(LDC).i32(2).shl().set(ldc4);
  c.i32(0).set(m);
  // 2 × 16 tiles: each loaded vector of B serves two rows (8 accumulators, 4 of B, 1 broadcast); measured
  // here against 1 × 16, 2 × 8, 3 × 8, 3 × 16, 4 × 4 and 4 × 8 on the shapes of attention and of the
  // projections and their gradients, it was the fastest or close on each (25–36 GFLOP/s on one core).
  for (const [rows, widths] of plan) rowBlocks(c, rows, widths, kernel);
  c.end();
  const locals = vec([[...uleb(I32_LOCALS), I32], [...uleb(V128_LOCALS), V128], [...uleb(1), F32]]);
  const body = [...locals, ...c.bytes];
  return [...uleb(body.length), ...body];
}

/** for (counter = 0; counter < limit; counter++) body() */
function forEachRow(c: Code, counter: number, limit: number, body: () => void): void {
  c.i32(0).set(counter);
  c.block().loop();
  c.get(counter).get(limit).geS().brIf(1);
  body();
  c.addTo(counter, (x) => x.i32(1));
  c.br(0).end().end();
}

/** A function's body from its code and its count of i32 locals. */
function i32Body(c: Code, locals: number): number[] {
  c.end();
  const body = [...vec([[...uleb(locals), I32]]), ...c.bytes];
  return [...uleb(body.length), ...body];
}

/**
 * `copy(dst, ldd, src, lds, rows, cols)`: rows of cols floats from src (row stride lds) to dst (row stride
 * ldd), four at a time then one at a time; byte addresses, strides in floats. One call moves a whole
 * KV cache into its longer successor, where one JS copyWithin per row costs more than the bytes.
 */
function copyBody(): number[] {
  const [DST, LDD, SRC, LDS, ROWS, COLS] = [0, 1, 2, 3, 4, 5];
  const [r, pd, ps, left] = [6, 7, 8, 9];
  const c = new Code();
  forEachRow(c, r, ROWS, () => {
    c.get(DST).get(r).get(LDD).mul().i32(2).shl().add().set(pd);
    c.get(SRC).get(r).get(LDS).mul().i32(2).shl().add().set(ps);
    c.get(COLS).set(left);
    strided(c, left, 4, [pd, ps], () => c.get(pd).get(ps).v128load().v128store());
    strided(c, left, 1, [pd, ps], () => c.get(pd).get(ps).f32load().f32store());
  });
  return i32Body(c, 4);
}

// e^x of four lanes (Cephes' expf): x = n·ln 2 + r with n = round(x·log₂e), r reduced against ln 2 in two
// parts, e^r by a degree-7 polynomial (relative error ≈ 1e-7, float32's own rounding), times 2ⁿ built in
// the exponent bits. Below −87.3 (where 2ⁿ leaves float32's normal range) exactly 0, as a masked score needs.
const EXP_MIN = -87.3;
const EXP_POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];

/** Replaces the v128 on the stack by its lanes' e^x; uses locals x, n and r (v128). */
function emitExp(c: Code, x: number, n: number, r: number): void {
  c.set(x);
  c.get(x).f32x4const(Math.LOG2E).f32x4mul().f32x4nearest().set(n);
  c.get(x).get(n).f32x4const(0.693359375).f32x4mul().f32x4sub();
  c.get(n).f32x4const(-2.12194440e-4).f32x4mul().f32x4sub().set(r);
  c.f32x4const(EXP_POLY[0]);
  for (const k of EXP_POLY.slice(1)) c.get(r).f32x4mul().f32x4const(k).f32x4add();
  c.get(r).get(r).f32x4mul().f32x4mul().get(r).f32x4add().f32x4const(1).f32x4add();
  c.get(n).i32x4truncSatF32x4S().i32x4const(127).i32x4add().i32(23).i32x4shl();
  c.f32x4mul();
  c.get(x).f32x4const(EXP_MIN).f32x4ge().v128and();
}

// Parameters and locals of `softmax` and `softmaxGrad`: two byte addresses, a count, a float.
const [SP, SQ, SN, SSCALE] = [0, 1, 2, 3];
const [si, sp, sq] = [4, 5, 6]; // i32
const [VA, VB, VC, VX, VN, VR] = [7, 8, 9, 10, 11, 12]; // v128
const [FA, FB, FC] = [13, 14, 15]; // f32
const ROW_LOCALS = vec([[...uleb(3), I32], [...uleb(6), V128], [...uleb(3), F32]]);
const ROW_TYPE = [0x60, ...uleb(4), I32, I32, I32, F32, 0];

/** while (counter ≥ width) { body(); each pointer += width floats; counter −= width } */
function strided(c: Code, counter: number, width: number, pointers: number[], body: () => void): void {
  c.block().loop();
  c.get(counter).i32(width).ltS().brIf(1);
  body();
  for (const q of pointers) c.addTo(q, (x) => x.i32(4 * width));
  c.get(counter).i32(width).sub().set(counter);
  c.br(0).end().end();
}

/** Both sweeps over the n floats: four at a time, then the last n mod 4 one at a time. */
function sweepAll(c: Code, vector: () => void, scalar: () => void): void {
  c.get(SP).set(sp).get(SQ).set(sq).get(SN).set(si);
  strided(c, si, 4, [sp, sq], vector);
  strided(c, si, 1, [sp, sq], scalar);
}

/** Combines the four lanes of local v into the float on the stack with `op` (f32.max or f32.add). */
function foldLanes(c: Code, v: number, op: (c: Code) => void): void {
  for (let lane = 0; lane < 4; lane++) {
    c.get(v).f32x4extractLane(lane);
    op(c);
  }
}

function rowBody(c: Code): number[] {
  c.end();
  const body = [...ROW_LOCALS, ...c.bytes];
  return [...uleb(body.length), ...body];
}

/**
 * `softmax(row, bias, n, scale)`: over the n floats at byte address row, in place, z = row·scale + bias
 * (n floats at byte address bias), then e^(z − max z) / Σ e^(z − max z).
 */
function softmaxBody(): number[] {
  const c = new Code();
  c.get(SSCALE).f32x4splat().set(VB);
  c.f32const(-Infinity).f32x4splat().set(VA);
  c.f32const(-Infinity).set(FA);
  sweepAll(c, () => {
    c.get(sp).get(sp).v128load().get(VB).f32x4mul().get(sq).v128load().f32x4add().tee(VC).v128store();
    c.get(VA).get(VC).f32x4pmax().set(VA);
  }, () => {
    c.get(sp).get(sp).f32load().get(SSCALE).f32mul().get(sq).f32load().f32add().tee(FC).f32store();
    c.get(FA).get(FC).f32max().set(FA);
  });
  c.get(FA);
  foldLanes(c, VA, (x) => x.f32max());
  c.tee(FA).f32x4splat().set(VB);
  c.v128zero().set(VA);
  c.f32zero().set(FB);
  sweepAll(c, () => {
    c.get(sp).get(sp).v128load().get(VB).f32x4sub();
    emitExp(c, VX, VN, VR);
    c.tee(VC).v128store();
    c.get(VA).get(VC).f32x4add().set(VA);
  }, () => {
    c.get(sp).get(sp).f32load().get(FA).f32sub().f32x4splat();
    emitExp(c, VX, VN, VR);
    c.f32x4extractLane(0).tee(FC).f32store();
    c.get(FB).get(FC).f32add().set(FB);
  });
  c.f32const(1).get(FB);
  foldLanes(c, VA, (x) => x.f32add());
  c.f32div().tee(FA).f32x4splat().set(VB);
  sweepAll(c, () => {
    c.get(sp).get(sp).v128load().get(VB).f32x4mul().v128store();
  }, () => {
    c.get(sp).get(sp).f32load().get(FA).f32mul().f32store();
  });
  return rowBody(c);
}

/**
 * `softmaxGrad(ds, p, n, scale)`: over n floats, with dP at byte address ds and the softmax's output P at
 * byte address p, in place: dS = scale·P·(dP − Σ dP·P), the gradient of the scores S through softmax(S·scale).
 */
function softmaxGradBody(): number[] {
  const c = new Code();
  c.v128zero().set(VA);
  c.f32zero().set(FA);
  sweepAll(c, () => {
    c.get(VA).get(sp).v128load().get(sq).v128load().f32x4mul().f32x4add().set(VA);
  }, () => {
    c.get(FA).get(sp).f32load().get(sq).f32load().f32mul().f32add().set(FA);
  });
  c.get(FA);
  foldLanes(c, VA, (x) => x.f32add());
  c.tee(FB).f32x4splat().set(VB);
  c.get(SSCALE).f32x4splat().set(VC);
  sweepAll(c, () => {
    c.get(sp).get(sp).v128load().get(VB).f32x4sub().get(sq).v128load().f32x4mul().get(VC).f32x4mul().v128store();
  }, () => {
    c.get(sp).get(sp).f32load().get(FB).f32sub().get(sq).f32load().f32mul().get(SSCALE).f32mul().f32store();
  });
  return rowBody(c);
}

// Parameters and locals of `layerNorm(x, gain, bias, out, rows, d, eps)`.
const [LX, LG, LB, LO, LR, LD, LEPS] = [0, 1, 2, 3, 4, 5, 6];
const [lr, lx, lg, lb, lo, li] = [7, 8, 9, 10, 11, 12]; // i32
const [LVA, LVM, LVS, LVT] = [13, 14, 15, 16]; // v128: a sum, the mean, rstd, a temporary
const [LFA, LFM, LFS, LFT] = [17, 18, 19, 20]; // f32: a sum, the mean, rstd, a temporary
const LAYER_NORM_TYPE = [0x60, ...uleb(7), I32, I32, I32, I32, I32, I32, F32, 0];

/** Over the row's d floats (the counter li), moving these pointers. */
const rowSweep = (c: Code, width: number, pointers: number[], body: () => void) => strided(c, li, width, pointers, body);

/**
 * `layerNorm(x, gain, bias, out, rows, d, eps)`: each of `rows` rows of d floats at x → (x − mean)·rstd·gain
 * + bias at out, rstd = 1/√(variance + eps) (the variance about the mean, in a second pass, as tfjs's ops).
 */
function layerNormBody(): number[] {
  const c = new Code();
  const rowStart = (base: number, into: number) => c.get(base).get(lr).get(LD).mul().i32(2).shl().add().set(into);
  const restartRow = () => {
    rowStart(LX, lx);
    c.get(LD).set(li);
  };
  /** The float on the stack: (f + lanes of v) / d */
  const meanOf = (f: number, v: number) => {
    c.get(f);
    foldLanes(c, v, (x) => x.f32add());
    c.get(LD).f32convertI32S().f32div();
  };
  c.i32(0).set(lr);
  c.block().loop();
  c.get(lr).get(LR).geS().brIf(1);
  // The mean.
  restartRow();
  c.v128zero().set(LVA).f32zero().set(LFA);
  rowSweep(c, 4, [lx], () => c.get(LVA).get(lx).v128load().f32x4add().set(LVA));
  rowSweep(c, 1, [lx], () => c.get(LFA).get(lx).f32load().f32add().set(LFA));
  meanOf(LFA, LVA);
  c.tee(LFM).f32x4splat().set(LVM);
  // The variance about it, then rstd.
  restartRow();
  c.v128zero().set(LVA).f32zero().set(LFA);
  rowSweep(c, 4, [lx], () => c.get(LVA).get(lx).v128load().get(LVM).f32x4sub().tee(LVT).get(LVT).f32x4mul().f32x4add().set(LVA));
  rowSweep(c, 1, [lx], () => c.get(LFA).get(lx).f32load().get(LFM).f32sub().tee(LFT).get(LFT).f32mul().f32add().set(LFA));
  c.f32const(1);
  meanOf(LFA, LVA);
  c.get(LEPS).f32add().f32sqrt().f32div().tee(LFS).f32x4splat().set(LVS);
  // The output.
  restartRow();
  rowStart(LO, lo);
  c.get(LG).set(lg).get(LB).set(lb);
  rowSweep(c, 4, [lx, lo, lg, lb], () => {
    c.get(lo).get(lx).v128load().get(LVM).f32x4sub().get(LVS).f32x4mul().get(lg).v128load().f32x4mul().get(lb).v128load().f32x4add().v128store();
  });
  rowSweep(c, 1, [lx, lo, lg, lb], () => {
    c.get(lo).get(lx).f32load().get(LFM).f32sub().get(LFS).f32mul().get(lg).f32load().f32mul().get(lb).f32load().f32add().f32store();
  });
  c.addTo(lr, (x) => x.i32(1));
  c.br(0).end().end();
  c.end();
  const body = [...vec([[...uleb(6), I32], [...uleb(4), V128], [...uleb(4), F32]]), ...c.bytes];
  return [...uleb(body.length), ...body];
}

/**
 * `gelu(x, out, n, k)`: x·σ(k·x) over n floats (the model's GELU, k = 1.702), σ(z) = 1/(1 + e^−z) from
 * e^−|z| (never overflowing), four lanes at a time.
 */
function geluBody(): number[] {
  const c = new Code();
  const sigmoidTimesX = () => {
    // On the stack: x (four lanes) → x·σ(kx).
    c.tee(VA).get(VB).f32x4mul().tee(VC).f32x4abs().f32x4neg();
    emitExp(c, VX, VN, VR);
    c.set(VN); // e = e^−|z|
    c.f32x4const(1).get(VN).get(VC).f32x4const(0).f32x4ge().v128bitselect(); // z ≥ 0 ? 1 : e
    c.f32x4const(1).get(VN).f32x4add().f32x4div();
    c.get(VA).f32x4mul();
  };
  c.get(SSCALE).f32x4splat().set(VB);
  sweepAll(c, () => {
    c.get(sq).get(sp).v128load();
    sigmoidTimesX();
    c.v128store();
  }, () => {
    c.get(sq).get(sp).f32load().f32x4splat();
    sigmoidTimesX();
    c.f32x4extractLane(0).f32store();
  });
  return rowBody(c);
}

// Parameters and locals of `layerNormGrad(dy, xhat, rstd, gain, dx, dgain, dbias, rows, d)`.
const [GDY, GXH, GRS, GGN, GDX, GDG, GDB, GR, GD] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const [gr, gdy, gxh, ggn, gdx, gdg, gdb, gi] = [9, 10, 11, 12, 13, 14, 15, 16]; // i32
const [GV1, GV2, GVT, GVS, GVM1, GVM2] = [17, 18, 19, 20, 21, 22]; // v128
const [GF1, GF2, GFT, GFS] = [23, 24, 25, 26]; // f32
const LAYER_NORM_GRAD_TYPE = [0x60, ...uleb(9), ...new Array<number>(9).fill(I32), 0];

/**
 * `layerNormGrad(dy, xhat, rstd, gain, dx, dgain, dbias, rows, d)`: LayerNorm's backward over rows of d
 * floats, given x̂ and rstd (one float per row) from the forward: dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))
 * with dx̂ = dy·gain, and dgain += Σ dy·x̂, dbias += Σ dy over the rows (float32 sums; the caller zeroes them).
 */
function layerNormGradBody(): number[] {
  const c = new Code();
  const at = (base: number, into: number) => c.get(base).get(gr).get(GD).mul().i32(2).shl().add().set(into);
  const loop = (width: number, pointers: number[], body: () => void) => strided(c, gi, width, pointers, body);
  const starts = () => {
    at(GDY, gdy);
    at(GXH, gxh);
    c.get(GGN).set(ggn).get(GD).set(gi);
  };
  c.i32(0).set(gr);
  c.block().loop();
  c.get(gr).get(GR).geS().brIf(1);
  // Pass 1: the two means, and the row's terms of dgain and dbias.
  starts();
  c.get(GDG).set(gdg).get(GDB).set(gdb);
  c.v128zero().set(GV1).v128zero().set(GV2).f32zero().set(GF1).f32zero().set(GF2);
  loop(4, [gdy, gxh, ggn, gdg, gdb], () => {
    c.get(gdy).v128load().get(ggn).v128load().f32x4mul().set(GVT); // dx̂
    c.get(GV1).get(GVT).f32x4add().set(GV1);
    c.get(GV2).get(GVT).get(gxh).v128load().f32x4mul().f32x4add().set(GV2);
    c.get(gdg).get(gdg).v128load().get(gdy).v128load().get(gxh).v128load().f32x4mul().f32x4add().v128store();
    c.get(gdb).get(gdb).v128load().get(gdy).v128load().f32x4add().v128store();
  });
  loop(1, [gdy, gxh, ggn, gdg, gdb], () => {
    c.get(gdy).f32load().get(ggn).f32load().f32mul().set(GFT);
    c.get(GF1).get(GFT).f32add().set(GF1);
    c.get(GF2).get(GFT).get(gxh).f32load().f32mul().f32add().set(GF2);
    c.get(gdg).get(gdg).f32load().get(gdy).f32load().get(gxh).f32load().f32mul().f32add().f32store();
    c.get(gdb).get(gdb).f32load().get(gdy).f32load().f32add().f32store();
  });
  for (const [f, v, into] of [[GF1, GV1, GVM1], [GF2, GV2, GVM2]]) {
    c.get(f);
    foldLanes(c, v, (x) => x.f32add());
    c.get(GD).f32convertI32S().f32div();
    c.set(f).get(f).f32x4splat().set(into);
  }
  c.get(GRS).get(gr).i32(2).shl().add().f32load().tee(GFS).f32x4splat().set(GVS);
  // Pass 2: dx.
  starts();
  at(GDX, gdx);
  loop(4, [gdy, gxh, ggn, gdx], () => {
    c.get(gdx).get(gdy).v128load().get(ggn).v128load().f32x4mul().get(GVM1).f32x4sub();
    c.get(gxh).v128load().get(GVM2).f32x4mul().f32x4sub().get(GVS).f32x4mul().v128store();
  });
  loop(1, [gdy, gxh, ggn, gdx], () => {
    c.get(gdx).get(gdy).f32load().get(ggn).f32load().f32mul().get(GF1).f32sub();
    c.get(gxh).f32load().get(GF2).f32mul().f32sub().get(GFS).f32mul().f32store();
  });
  c.addTo(gr, (x) => x.i32(1));
  c.br(0).end().end();
  c.end();
  const body = [...vec([[...uleb(8), I32], [...uleb(6), V128], [...uleb(4), F32]]), ...c.bytes];
  return [...uleb(body.length), ...body];
}

/**
 * `transpose(dst, src, rows, cols, lds)`: dst[c·rows + j] = src[j·lds + c] for j < rows, c < cols (byte
 * addresses, lds in floats): a head's keys or values [T, hd] out of qkv's rows into [hd, T].
 */
function transposeBody(): number[] {
  const [DST, SRC, ROWS, COLS, LDS] = [0, 1, 2, 3, 4];
  const [j, cc, ps, pd] = [5, 6, 7, 8];
  const c = new Code();
  forEachRow(c, j, ROWS, () => {
    c.get(SRC).get(j).get(LDS).mul().i32(2).shl().add().set(ps);
    c.get(DST).get(j).i32(2).shl().add().set(pd);
    c.get(COLS).set(cc);
    c.block().loop();
    c.get(cc).i32(0).leS().brIf(1);
    c.get(pd).get(ps).f32load().f32store();
    c.addTo(ps, (x) => x.i32(4));
    c.addTo(pd, (x) => x.get(ROWS).i32(2).shl());
    c.get(cc).i32(1).sub().set(cc);
    c.br(0).end().end();
  });
  return i32Body(c, 4);
}

/**
 * The module's bytes: imports `env.memory` (declared shared, up to 4 GiB, for a SharedArrayBuffer-backed
 * memory such as tfjs-wasm's threaded build), exports `mm`, `copy`, `softmax`, `softmaxGrad`, `layerNorm`,
 * `gelu`, `layerNormGrad` and `transpose`.
 */
export function simdModuleBytes(plan: [number, number[]][] = [[2, [4, 1]], [1, [4, 1]]], sharedMemory = false, kernel: KernelOptions = { unroll: 1, fma: false }): Uint8Array<ArrayBuffer> {
  for (const [rows, widths] of plan) {
    if (rows < 1 || rows > 4 || widths.some((v) => v < 1 || v > 4 || rows * v > 12)) throw new RangeError(`mm: no room for ${rows} × [${widths}] tiles`);
  }
  const type = [0x60, ...uleb(PARAMS), ...new Array<number>(PARAMS).fill(I32), 0];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([type, [0x60, ...uleb(6), ...new Array<number>(6).fill(I32), 0], ROW_TYPE, LAYER_NORM_TYPE, LAYER_NORM_GRAD_TYPE, [0x60, ...uleb(5), ...new Array<number>(5).fill(I32), 0]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...(sharedMemory ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)])]])),
    ...section(3, vec([uleb(0), uleb(1), uleb(2), uleb(2), uleb(3), uleb(2), uleb(4), uleb(5)])),
    ...section(7, vec([
      [...name('mm'), 0x00, ...uleb(0)], [...name('copy'), 0x00, ...uleb(1)],
      [...name('softmax'), 0x00, ...uleb(2)], [...name('softmaxGrad'), 0x00, ...uleb(3)],
      [...name('layerNorm'), 0x00, ...uleb(4)], [...name('gelu'), 0x00, ...uleb(5)], [...name('layerNormGrad'), 0x00, ...uleb(6)],
      [...name('transpose'), 0x00, ...uleb(7)],
    ])),
    ...section(10, vec([mmBody(plan, kernel), copyBody(), softmaxBody(), softmaxGradBody(), layerNormBody(), geluBody(), layerNormGradBody(), transposeBody()])),
  ];
  return new Uint8Array(bytes);
}

/** Whether this engine compiles relaxed SIMD (the fused product). */
export function relaxedSimdAvailable(): boolean {
  return typeof WebAssembly !== 'undefined' && WebAssembly.validate(simdModuleBytes(undefined, false, { unroll: 1, fma: true }));
}

let fusedByDefault = true;
/**
 * Whether products made from now on use the fused multiply-add where the engine has it (default true).
 * Off, every product rounds after the multiply as well as after the add, as before the fused kernel; the
 * sums differ in the last bits, so a run reproduces an earlier one's samples exactly only with the same setting.
 */
export function setFusedMultiplyAdd(on: boolean): void {
  fusedByDefault = on;
}

/** Floats of B per block of k in `mm`. */
const KBLOCK_FLOATS = 65_536;

type CopyFn = (dst: number, ldd: number, src: number, lds: number, rows: number, cols: number) => void;
type RowFn = (a: number, b: number, n: number, scale: number) => void;
type LayerNormFn = (x: number, gain: number, bias: number, out: number, rows: number, d: number, eps: number) => void;
type LayerNormGradFn = (dy: number, xhat: number, rstd: number, gain: number, dx: number, dgain: number, dbias: number, rows: number, d: number) => void;
type MmFn = (a: number, sAm: number, sAk: number, b: number, ldb: number, c: number, ldc: number, M: number, K: number, N: number, acc: number) => void;

/**
 * The SIMD product over one memory: its own, which `reserve` grows on demand, or another module's (tfjs-wasm's
 * heap, so that kernels multiply tensors where they lie).
 */
export class SimdMatmul {
  private readonly memory: WebAssembly.Memory;
  private readonly mmFn: MmFn;
  private readonly copyFn: CopyFn;
  private readonly softmaxFn: RowFn;
  private readonly softmaxGradFn: RowFn;
  private readonly layerNormFn: LayerNormFn;
  private readonly geluFn: RowFn;
  private readonly layerNormGradFn: LayerNormGradFn;
  private readonly transposeFn: (dst: number, src: number, rows: number, cols: number, lds: number) => void;
  private view: Float32Array;
  /** Whether the product multiplies and adds in one instruction (relaxed SIMD's `f32x4.relaxed_madd`). */
  readonly fused: boolean;

  private constructor(instance: WebAssembly.Instance, memory: WebAssembly.Memory, fused: boolean) {
    this.memory = memory;
    this.fused = fused;
    this.mmFn = instance.exports.mm as MmFn;
    this.copyFn = instance.exports.copy as CopyFn;
    this.softmaxFn = instance.exports.softmax as RowFn;
    this.softmaxGradFn = instance.exports.softmaxGrad as RowFn;
    this.layerNormFn = instance.exports.layerNorm as LayerNormFn;
    this.geluFn = instance.exports.gelu as RowFn;
    this.layerNormGradFn = instance.exports.layerNormGrad as LayerNormGradFn;
    this.transposeFn = instance.exports.transpose as typeof this.transposeFn;
    this.view = new Float32Array(memory.buffer);
  }

  /**
   * On `memory` (default: a new one of its own); undefined where WebAssembly SIMD is missing (the caller
   * keeps its other path). With `fused` (the default) the product multiplies and adds in one relaxed-SIMD
   * instruction where the engine has relaxed SIMD, else in two; `fused` on the instance says which.
   */
  static create(memory?: WebAssembly.Memory, { fused = fusedByDefault }: { fused?: boolean } = {}): SimdMatmul | undefined {
    if (typeof WebAssembly === 'undefined') return undefined;
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory?.buffer instanceof SharedArrayBuffer;
    const candidates = fused ? [true, false] : [false];
    const fma = candidates.find((f) => WebAssembly.validate(simdModuleBytes(undefined, shared, { unroll: 1, fma: f })));
    if (fma === undefined) return undefined;
    const bytes = simdModuleBytes(undefined, shared, { unroll: 1, fma });
    const mem = memory ?? new WebAssembly.Memory({ initial: 16 });
    // A few hundred bytes: synchronous compilation is allowed everywhere, workers and main threads alike.
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: mem } });
    return new SimdMatmul(instance, mem, fma);
  }

  /** The memory as float32s, at least `floats` long; valid until the next `reserve`. */
  reserve(floats: number): Float32Array {
    const bytes = floats * 4;
    if (bytes > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((bytes - this.memory.buffer.byteLength) / 65536));
    }
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }

  /**
   * C[m, n] (+)= Σ_k A[m·sAm + k·sAk] · B[k·ldb + n]; a, b and c are float offsets into the memory
   * (`reserve`'s view), strides in floats.
   */
  mm(a: number, sAm: number, sAk: number, b: number, ldb: number, c: number, ldc: number, M: number, K: number, N: number, accumulate = false): void {
    // Blocks of k whose rows of B fit in ≈ 256 KB (a core's L2 holds them while every row of A passes):
    // a weight gradient Xᵀ·dY over thousands of rows otherwise streams all of dY from memory once per
    // pair of rows of C (7.5 GFLOP/s measured on 5673 × 512 instead of ≈ 30). The sum over k keeps its order.
    const kBlock = Math.max(16, Math.floor(KBLOCK_FLOATS / Math.max(N, 1)));
    let acc = accumulate ? 1 : 0;
    for (let k0 = 0; k0 < K || k0 === 0; k0 += kBlock) {
      this.mmFn((a + k0 * sAk) * 4, sAm, sAk, (b + k0 * ldb) * 4, ldb, c * 4, ldc, M, Math.min(kBlock, K - k0), N, acc);
      acc = 1;
    }
  }

  /**
   * In place over the n floats at `row`: softmax(row·scale + bias) with n floats of bias at `bias`;
   * float offsets, as `mm`. A bias of −1e9 (masked) gives exactly 0.
   */
  softmax(row: number, bias: number, n: number, scale: number): void {
    this.softmaxFn(row * 4, bias * 4, n, scale);
  }

  /** In place over the n floats of dP at `ds`, with P (softmax's output) at `p`: dS = scale·P·(dP − Σ dP·P). */
  softmaxGrad(ds: number, p: number, n: number, scale: number): void {
    this.softmaxGradFn(ds * 4, p * 4, n, scale);
  }

  /** rows × d floats at x → LayerNorm with gain and bias (d floats each) at out; float offsets, as `mm`. */
  layerNorm(x: number, gain: number, bias: number, out: number, rows: number, d: number, eps: number): void {
    this.layerNormFn(x * 4, gain * 4, bias * 4, out * 4, rows, d, eps);
  }

  /**
   * LayerNorm's backward over rows × d floats: dx from dy, x̂ and rstd (rows floats), gain; dgain and dbias
   * (d floats each, zeroed by the caller) accumulate Σ dy·x̂ and Σ dy. Float offsets, as `mm`.
   */
  layerNormGrad(dy: number, xhat: number, rstd: number, gain: number, dx: number, dgain: number, dbias: number, rows: number, d: number): void {
    this.layerNormGradFn(dy * 4, xhat * 4, rstd * 4, gain * 4, dx * 4, dgain * 4, dbias * 4, rows, d);
  }

  /** dst[c·rows + j] = src[j·lds + c] for j < rows, c < cols; float offsets, as `mm`. */
  transpose(dst: number, src: number, rows: number, cols: number, lds: number): void {
    this.transposeFn(dst * 4, src * 4, rows, cols, lds);
  }

  /** n floats at x → x·σ(k·x) at out; float offsets, as `mm`. */
  gelu(x: number, out: number, n: number, k: number): void {
    this.geluFn(x * 4, out * 4, n, k);
  }

  /** rows × cols floats from src (row stride lds) to dst (row stride ldd); float offsets, as `mm`. */
  copy(dst: number, ldd: number, src: number, lds: number, rows: number, cols: number): void {
    this.copyFn(dst * 4, ldd, src * 4, lds, rows, cols);
  }
}
