// Checkpoints as files, for Node (CLI, tests): a folder holding manifest.json and weights.bin.
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MANIFEST_FILE, modelFromCheckpoint, serializeModel,
  type Checkpoint, type CheckpointManifest, type CheckpointStore,
} from './checkpoint';
import { GPT, makeConfig, type PresetName } from './gpt';
import { TOKENIZER_VERSION, vocabSize } from './tokenizer';

/** Where the shipped base checkpoint lives (served to the browser as `checkpoints/base/`). */
export const SHIPPED_CHECKPOINT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../public/checkpoints/base');

export async function writeCheckpointDir(dir: string, checkpoint: Checkpoint): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, checkpoint.manifest.weightsFile), new Uint8Array(checkpoint.weights));
  // The manifest last: a folder with a manifest is a complete checkpoint.
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(checkpoint.manifest, null, 1)}\n`);
}

export async function readCheckpointDir(dir: string): Promise<Checkpoint> {
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) throw new Error(`no checkpoint at ${dir} (${MANIFEST_FILE} missing)`);
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as CheckpointManifest;
  const bytes = await readFile(join(dir, manifest.weightsFile));
  return { manifest, weights: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer };
}

/** Checkpoints as sub-folders of `root`. */
export class FileCheckpointStore implements CheckpointStore {
  constructor(readonly root: string) {}

  save(name: string, checkpoint: Checkpoint): Promise<void> {
    return writeCheckpointDir(join(this.root, name), checkpoint);
  }

  load(name: string): Promise<Checkpoint> {
    return readCheckpointDir(join(this.root, name));
  }

  async list(): Promise<string[]> {
    if (!existsSync(this.root)) return [];
    const entries = await readdir(this.root, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && existsSync(join(this.root, e.name, MANIFEST_FILE))).map((e) => e.name);
  }

  async delete(name: string): Promise<void> {
    await rm(join(this.root, name), { recursive: true, force: true });
  }
}

/** Saves `model` with this build's tokenizer version to the folder `dir`. */
export async function saveModel(model: GPT, dir: string, meta?: Record<string, unknown>): Promise<void> {
  await writeCheckpointDir(dir, await serializeModel(model, TOKENIZER_VERSION, { ...meta, savedAt: new Date().toISOString() }));
}

export interface PolicyModelSource {
  /** A checkpoint folder to start from. */
  from?: string;
  /** Start from freshly initialised weights. */
  scratch: boolean;
  /** Preset for a fresh model. */
  modelSize: PresetName;
  seed: number;
}

/**
 * The model a run starts from: `from`, else (unless `scratch`) the shipped base checkpoint when there
 * is one, else a fresh `modelSize` model. `source` says which, for the log.
 */
export async function loadPolicyModel(o: PolicyModelSource): Promise<{ model: GPT; source: string }> {
  if (o.from) return { model: modelFromCheckpoint(await readCheckpointDir(o.from), TOKENIZER_VERSION), source: `checkpoint ${o.from}` };
  const fresh = () => new GPT(makeConfig(o.modelSize, vocabSize), o.seed);
  if (o.scratch) return { model: fresh(), source: `fresh ${o.modelSize} model (seed ${o.seed})` };
  if (existsSync(join(SHIPPED_CHECKPOINT_DIR, MANIFEST_FILE))) {
    return { model: modelFromCheckpoint(await readCheckpointDir(SHIPPED_CHECKPOINT_DIR), TOKENIZER_VERSION), source: `base checkpoint ${SHIPPED_CHECKPOINT_DIR}` };
  }
  return { model: fresh(), source: `fresh ${o.modelSize} model (seed ${o.seed}; no base checkpoint at ${SHIPPED_CHECKPOINT_DIR})` };
}
