// Checkpoints: a JSON manifest (format, tokenizer version, model config, weight table) and one binary file
// of little-endian float32 weights in the manifest's order. Stores: memory, IndexedDB (browser), files
// (Node: ./node-checkpoint), and read-only from a URL (the shipped base checkpoint).
// Loading refuses a checkpoint whose tokenizer version or weight shapes differ from what is expected,
// and says which.
import { GPT, parameterShapes, validateConfig, type GPTConfig } from './gpt';
import { tf } from './tf';

export const CHECKPOINT_FORMAT = 'azr-lab-gpt';
export const CHECKPOINT_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
export const WEIGHTS_FILE = 'weights.bin';

export type TokenizerVersion = number | string;

export interface WeightEntry {
  name: string;
  shape: number[];
  /** Offset in float32 elements into the weights file. */
  offset: number;
}

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  formatVersion: number;
  tokenizerVersion: TokenizerVersion;
  config: GPTConfig;
  weightsFile: string;
  weights: WeightEntry[];
  /** Free-form facts about the run (step, source, date…). */
  meta?: Record<string, unknown>;
}

export interface Checkpoint {
  manifest: CheckpointManifest;
  /** The weights file's bytes. */
  weights: ArrayBuffer;
}

export interface CheckpointStore {
  save(name: string, checkpoint: Checkpoint): Promise<void>;
  /** Throws when there is no checkpoint of that name. */
  load(name: string): Promise<Checkpoint>;
  list(): Promise<string[]>;
  delete(name: string): Promise<void>;
}

export class CheckpointMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointMismatchError';
  }
}

/** Reads the model's weights back from the backend (asynchronously: WebGPU has no cheap sync read). */
export async function serializeModel(model: GPT, tokenizerVersion: TokenizerVersion, meta?: Record<string, unknown>): Promise<Checkpoint> {
  const shapes = parameterShapes(model.config);
  const total = shapes.reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
  const data = new Float32Array(total);
  const weights: WeightEntry[] = [];
  let offset = 0;
  for (const [name, shape] of shapes) {
    data.set(await model.param(name).data() as Float32Array, offset);
    weights.push({ name, shape, offset });
    offset += shape.reduce((a, b) => a * b, 1);
  }
  return {
    manifest: {
      format: CHECKPOINT_FORMAT, formatVersion: CHECKPOINT_FORMAT_VERSION, tokenizerVersion,
      config: { ...model.config }, weightsFile: WEIGHTS_FILE, weights, meta,
    },
    weights: data.buffer,
  };
}

export interface CheckpointExpectation {
  /** The tokenizer version of this build (`TOKENIZER_VERSION` from ./tokenizer). */
  tokenizerVersion: TokenizerVersion;
  /** When loading into an existing model: its config, whose shapes the checkpoint must match. */
  config?: GPTConfig;
}

const shapeText = (s: number[]) => `[${s.join(', ')}]`;

/** Throws a CheckpointMismatchError saying what does not match. */
export function checkCheckpoint(checkpoint: Checkpoint, expected: CheckpointExpectation): void {
  const m = checkpoint.manifest;
  if (m.format !== CHECKPOINT_FORMAT) throw new CheckpointMismatchError(`not an AZR Lab model checkpoint (format ${JSON.stringify(m.format)})`);
  if (m.formatVersion !== CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointMismatchError(`checkpoint format version ${m.formatVersion} is not the supported version ${CHECKPOINT_FORMAT_VERSION}`);
  }
  if (m.tokenizerVersion !== expected.tokenizerVersion) {
    throw new CheckpointMismatchError(
      `tokenizer version mismatch: the checkpoint was trained with tokenizer version ${m.tokenizerVersion}, this build's tokenizer is version ${expected.tokenizerVersion}`);
  }
  try {
    validateConfig(m.config);
  } catch (e) {
    throw new CheckpointMismatchError(`checkpoint config is invalid: ${(e as Error).message}`);
  }
  if (expected.config && expected.config.nHead !== m.config.nHead) {
    throw new CheckpointMismatchError(`config mismatch: the checkpoint has nHead ${m.config.nHead}, the model ${expected.config.nHead}`);
  }
  const wanted = parameterShapes(expected.config ?? m.config);
  const stored = new Map(m.weights.map((w) => [w.name, w]));
  for (const [name, shape] of wanted) {
    const w = stored.get(name);
    if (!w) throw new CheckpointMismatchError(`weight ${name} ${shapeText(shape)} is missing from the checkpoint`);
    if (shapeText(w.shape) !== shapeText(shape)) {
      throw new CheckpointMismatchError(`shape mismatch: weight ${name} is ${shapeText(w.shape)} in the checkpoint, the model expects ${shapeText(shape)}`);
    }
    const end = (w.offset + shape.reduce((a, b) => a * b, 1)) * 4;
    if (!Number.isInteger(w.offset) || w.offset < 0 || end > checkpoint.weights.byteLength) {
      throw new CheckpointMismatchError(`weight ${name} lies outside the weights file (${checkpoint.weights.byteLength} bytes)`);
    }
  }
  if (m.weights.length !== wanted.length) {
    const extra = m.weights.map((w) => w.name).filter((n) => !wanted.some(([name]) => name === n));
    throw new CheckpointMismatchError(`the checkpoint has weights the model does not: ${extra.join(', ')}`);
  }
}

/** Copies a checked checkpoint's weights into `model` (whose config must match the checkpoint's shapes). */
export function loadWeights(model: GPT, checkpoint: Checkpoint, tokenizerVersion: TokenizerVersion): void {
  checkCheckpoint(checkpoint, { tokenizerVersion, config: model.config });
  for (const w of checkpoint.manifest.weights) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(checkpoint.weights, w.offset * 4, size);
    tf.tidy(() => model.param(w.name).assign(tf.tensor(values, w.shape)));
  }
}

/** A new model with the checkpoint's config and weights. */
export function modelFromCheckpoint(checkpoint: Checkpoint, tokenizerVersion: TokenizerVersion): GPT {
  checkCheckpoint(checkpoint, { tokenizerVersion });
  const model = new GPT(checkpoint.manifest.config);
  loadWeights(model, checkpoint, tokenizerVersion);
  return model;
}

export class MemoryCheckpointStore implements CheckpointStore {
  private readonly entries = new Map<string, Checkpoint>();

  async save(name: string, checkpoint: Checkpoint): Promise<void> {
    this.entries.set(name, { manifest: structuredClone(checkpoint.manifest), weights: checkpoint.weights.slice(0) });
  }

  async load(name: string): Promise<Checkpoint> {
    const c = this.entries.get(name);
    if (!c) throw new Error(`no checkpoint named ${name}`);
    return { manifest: structuredClone(c.manifest), weights: c.weights.slice(0) };
  }

  async list(): Promise<string[]> {
    return [...this.entries.keys()];
  }

  async delete(name: string): Promise<void> {
    this.entries.delete(name);
  }
}

/** Checkpoints in the browser's IndexedDB, one record per name. */
export class IndexedDBCheckpointStore implements CheckpointStore {
  constructor(private readonly dbName = 'azr-lab', private readonly storeName = 'checkpoints') {}

  private open(): Promise<IDBDatabase> {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(this.dbName, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(this.storeName);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  private async run<T>(mode: IDBTransactionMode, f: (store: IDBObjectStore) => IDBRequest): Promise<T> {
    const db = await this.open();
    try {
      return await new Promise<T>((resolve, reject) => {
        const tx = db.transaction(this.storeName, mode);
        const req = f(tx.objectStore(this.storeName));
        tx.oncomplete = () => resolve(req.result as T);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  }

  async save(name: string, checkpoint: Checkpoint): Promise<void> {
    await this.run('readwrite', (s) => s.put(checkpoint, name));
  }

  async load(name: string): Promise<Checkpoint> {
    const c = await this.run<Checkpoint | undefined>('readonly', (s) => s.get(name));
    if (!c) throw new Error(`no checkpoint named ${name} in IndexedDB`);
    return c;
  }

  async list(): Promise<string[]> {
    return (await this.run<IDBValidKey[]>('readonly', (s) => s.getAllKeys())).map(String);
  }

  async delete(name: string): Promise<void> {
    await this.run('readwrite', (s) => s.delete(name));
  }
}

/** Fetches `manifest.json` at `baseUrl` and the weights file it names (resolved against it). */
export async function fetchCheckpoint(baseUrl: string | URL, fetchFn: typeof fetch = fetch): Promise<Checkpoint> {
  const base = new URL(String(baseUrl).endsWith('/') ? String(baseUrl) : `${String(baseUrl)}/`, globalThis.location?.href);
  const manifestUrl = new URL(MANIFEST_FILE, base);
  const res = await fetchFn(manifestUrl);
  if (!res.ok) throw new Error(`fetching ${manifestUrl}: HTTP ${res.status}`);
  const manifest = await res.json() as CheckpointManifest;
  const weightsUrl = new URL(manifest.weightsFile, base);
  const wres = await fetchFn(weightsUrl);
  if (!wres.ok) throw new Error(`fetching ${weightsUrl}: HTTP ${wres.status}`);
  return { manifest, weights: await wres.arrayBuffer() };
}
