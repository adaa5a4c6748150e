// Every hyperparameter of a self-play run, once: its default, range, help text and when a change takes
// effect. This one table drives the sliders, the CLI's `--set key=value`, the URL query and saved runs.

export type TakesEffect = 'next-step' | 'reset';
export type ConfigGroup = 'run' | 'tasks' | 'rewards' | 'optimiser' | 'decoding';

interface SpecBase<K extends string> {
  key: K;
  group: ConfigGroup;
  label: string;
  help: string;
  takesEffect: TakesEffect;
}
export interface IntSpec<K extends string = string> extends SpecBase<K> { kind: 'int'; default: number; min: number; max: number }
export interface FloatSpec<K extends string = string> extends SpecBase<K> {
  kind: 'float'; default: number; min: number; max: number; scale: 'linear' | 'log';
}
export interface BoolSpec<K extends string = string> extends SpecBase<K> { kind: 'bool'; default: boolean }
export interface EnumSpec<K extends string = string, V extends string = string> extends SpecBase<K> {
  kind: 'enum'; default: V; options: readonly V[];
}
export type ParamSpec = IntSpec | FloatSpec | BoolSpec | EnumSpec;

export const MODEL_SIZES = ['tiny', 'default', 'small', 'medium'] as const;
export type ModelSize = (typeof MODEL_SIZES)[number];

export interface AzrConfig {
  seed: number;
  modelSize: ModelSize;
  deduction: boolean;
  abduction: boolean;
  induction: boolean;
  batchSize: number;
  rollouts: number;
  references: number;
  inductionInputs: number;
  seedFactor: number;
  solverOnly: boolean;
  baseline: 'per-group' | 'global';
  extremeSolveRate: 'paper' | 'reference';
  noveltyBonus: number;
  guessCorrection: 'off' | 'proposer' | 'both';
  trainRollouts: boolean;
  normalisation: 'per-sample' | 'per-token';
  dropDuplicates: boolean;
  rejectGuessable: boolean;
  constrained: boolean;
  temperature: number;
  topK: number;
  maxProgramTokens: number;
  maxAnswerTokens: number;
  learningRate: number;
  clipEpsilon: number;
  entropyCoef: number;
  klCoef: number;
  weightDecay: number;
  gradClip: number;
}
export type ConfigKey = keyof AzrConfig;

type SpecFor<K extends ConfigKey> = AzrConfig[K] extends boolean
  ? BoolSpec<K>
  : AzrConfig[K] extends number
    ? IntSpec<K> | FloatSpec<K>
    : EnumSpec<K, Extract<AzrConfig[K], string>>;

/** The table. Order is the order of the controls on the page. */
export const CONFIG_SPECS: { [K in ConfigKey]: SpecFor<K> } = {
  seed: { key: 'seed', group: 'run', kind: 'int', default: 0, min: 0, max: 2 ** 31 - 1, takesEffect: 'reset', label: 'Seed',
    help: 'Seeds every random choice of the run (sampling, references, batches). Same seed and backend, same run.' },
  modelSize: { key: 'modelSize', group: 'run', kind: 'enum', default: 'default', options: MODEL_SIZES, takesEffect: 'reset', label: 'Model size',
    help: 'Transformer preset. "tiny" is for tests; "default" (about 1 M parameters) fits a CPU; bigger ones want a real GPU.' },
  deduction: { key: 'deduction', group: 'tasks', kind: 'bool', default: true, takesEffect: 'next-step', label: 'Deduction',
    help: 'Propose and solve deduction tasks: given a program and an input, predict the output.' },
  abduction: { key: 'abduction', group: 'tasks', kind: 'bool', default: true, takesEffect: 'next-step', label: 'Abduction',
    help: 'Propose and solve abduction tasks: given a program and an output, find an input that produces it.' },
  induction: { key: 'induction', group: 'tasks', kind: 'bool', default: true, takesEffect: 'next-step', label: 'Induction',
    help: 'Propose and solve induction tasks: given input/output pairs and a message, write the program.' },
  batchSize: { key: 'batchSize', group: 'tasks', kind: 'int', default: 8, min: 1, max: 64, takesEffect: 'next-step', label: 'Batch per task type (B)',
    help: 'Proposals and solver tasks per task type and step (paper: 64).' },
  rollouts: { key: 'rollouts', group: 'rewards', kind: 'int', default: 4, min: 2, max: 16, takesEffect: 'next-step', label: 'Rollouts for learnability (n)',
    help: 'Solver samples used to estimate a proposal\'s solve rate (paper: 8). Not trained on.' },
  references: { key: 'references', group: 'tasks', kind: 'int', default: 3, min: 0, max: 8, takesEffect: 'next-step', label: 'References (K)',
    help: 'Past triplets shown to the proposer as examples to differ from (paper: 6; 0 is the no-reference ablation).' },
  inductionInputs: { key: 'inductionInputs', group: 'tasks', kind: 'int', default: 6, min: 2, max: 10, takesEffect: 'next-step', label: 'Induction inputs (N)',
    help: 'Inputs the induction proposer writes; the first half of the pairs is shown, the rest held out (paper: 10).' },
  seedFactor: { key: 'seedFactor', group: 'tasks', kind: 'int', default: 4, min: 1, max: 8, takesEffect: 'reset', label: 'Seed buffer factor',
    help: 'Before the first update the proposer fills the buffers to B × this many valid triplets (paper: 4).' },
  solverOnly: { key: 'solverOnly', group: 'rewards', kind: 'bool', default: false, takesEffect: 'next-step', label: 'Solver only (proposer frozen)',
    help: 'Ablation: proposals are still made and used, but the proposer role gets no gradient.' },
  baseline: { key: 'baseline', group: 'rewards', kind: 'enum', default: 'per-group', options: ['per-group', 'global'], takesEffect: 'next-step', label: 'Advantage baseline',
    help: 'TRR++ normalises rewards in each of the six (role × task type) groups; "global" uses one baseline for all (ablation).' },
  extremeSolveRate: { key: 'extremeSolveRate', group: 'rewards', kind: 'enum', default: 'paper', options: ['paper', 'reference'], takesEffect: 'next-step', label: 'Reward at solve rate 0 or 1',
    help: 'A valid proposal always or never solved earns 0 (paper) or −0.5 (reference code).' },
  noveltyBonus: { key: 'noveltyBonus', group: 'rewards', kind: 'float', default: 0, min: 0, max: 2, scale: 'linear', takesEffect: 'next-step', label: 'Novelty bonus λ (not in the paper)',
    help: 'A valid proposal also earns λ × how rare its operations (methods, loops, operators) are among earlier tasks of its type: counters proposers retreating to one safe kind of program. 0 = the paper.' },
  guessCorrection: { key: 'guessCorrection', group: 'rewards', kind: 'enum', default: 'off', options: ['off', 'proposer', 'both'], takesEffect: 'next-step', label: 'Discount guessing (not in the paper)',
    help: 'Guess rate: how often an answer written for one task also solves the others of the step. "proposer": a task\'s learnability counts only its solve rate above that rate ((s − q)/(1 − q)), so tasks the solver passes by a favourite answer (0, [], …) earn nothing. "both": also a right answer earns 1 − the share of the batch\'s other tasks it solves too. Off = the paper.' },
  trainRollouts: { key: 'trainRollouts', group: 'rewards', kind: 'bool', default: false, takesEffect: 'next-step', label: 'Train on the learnability rollouts (not in the paper)',
    help: 'The n answers to each new task, sampled to measure its learnability, are trained on too, each with a leave-one-out baseline (its reward minus the mean of the task\'s other answers): n× the solver\'s data at no extra sampling, and a task every answer passes by guessing teaches nothing.' },
  normalisation: { key: 'normalisation', group: 'rewards', kind: 'enum', default: 'per-sample', options: ['per-sample', 'per-token'], takesEffect: 'next-step', label: 'Advantage statistics',
    help: 'Group mean and std over trajectories (paper eq. 8) or over response tokens (reference code; long answers weigh more).' },
  dropDuplicates: { key: 'dropDuplicates', group: 'tasks', kind: 'bool', default: true, takesEffect: 'next-step', label: 'Drop exact duplicates',
    help: 'A valid proposal identical to one already in its buffer is not appended again.' },
  rejectGuessable: { key: 'rejectGuessable', group: 'tasks', kind: 'bool', default: false, takesEffect: 'next-step', label: 'Refuse guessable tasks (not in the paper)',
    help: 'A deduction or abduction proposal whose output is 0, -1, [] or "" (what a constant guess writes, and what the held-out suite avoids), or an induction proposal whose outputs take fewer than 3 values, is refused like an invalid one (reward −1) and never enters a buffer. Off = the paper.' },
  constrained: { key: 'constrained', group: 'decoding', kind: 'bool', default: true, takesEffect: 'next-step', label: 'Grammar-constrained decoding',
    help: 'Mask tokens the grammar forbids, so every response is well-formed. Off shows what format errors (reward −1) do.' },
  temperature: { key: 'temperature', group: 'decoding', kind: 'float', default: 1, min: 0.1, max: 2, scale: 'linear', takesEffect: 'next-step', label: 'Temperature',
    help: 'Sampling temperature for proposals and solver answers (paper: 1.0).' },
  topK: { key: 'topK', group: 'decoding', kind: 'int', default: 0, min: 0, max: 256, takesEffect: 'next-step', label: 'Top-k',
    help: 'Sample only among the k likeliest tokens; 0 means off.' },
  maxProgramTokens: { key: 'maxProgramTokens', group: 'decoding', kind: 'int', default: 96, min: 24, max: 256, takesEffect: 'next-step', label: 'Max program tokens',
    help: 'Length cap for a proposed or induced program (and its input); the grammar closes every construct in time.' },
  maxAnswerTokens: { key: 'maxAnswerTokens', group: 'decoding', kind: 'int', default: 40, min: 8, max: 128, takesEffect: 'next-step', label: 'Max answer tokens',
    help: 'Length cap for a predicted output or input.' },
  learningRate: { key: 'learningRate', group: 'optimiser', kind: 'float', default: 3e-5, min: 1e-7, max: 1e-2, scale: 'log', takesEffect: 'next-step', label: 'Learning rate',
    help: 'AdamW step size.' },
  clipEpsilon: { key: 'clipEpsilon', group: 'optimiser', kind: 'float', default: 0.2, min: 0.01, max: 0.5, scale: 'linear', takesEffect: 'next-step', label: 'Clip ε',
    help: 'PPO ratio clip (paper: 0.2). With one epoch per batch the ratio is 1, so this matters only for stale samples.' },
  entropyCoef: { key: 'entropyCoef', group: 'optimiser', kind: 'float', default: 0.001, min: 0, max: 0.1, scale: 'linear', takesEffect: 'next-step', label: 'Entropy bonus',
    help: 'Weight of the entropy bonus in the policy loss (paper: 0.001).' },
  klCoef: { key: 'klCoef', group: 'optimiser', kind: 'float', default: 0, min: 0, max: 1, scale: 'linear', takesEffect: 'next-step', label: 'KL to the base (β)',
    help: 'Weight of a per-token KL(policy ‖ starting model) penalty (k3 estimator), holding the policy near where it started. 0 = the paper (no KL term). The reference is the weights at the first step with β > 0.' },
  weightDecay: { key: 'weightDecay', group: 'optimiser', kind: 'float', default: 0.01, min: 0, max: 0.5, scale: 'linear', takesEffect: 'reset', label: 'Weight decay',
    help: 'AdamW decoupled weight decay.' },
  gradClip: { key: 'gradClip', group: 'optimiser', kind: 'float', default: 1, min: 0.01, max: 10, scale: 'log', takesEffect: 'next-step', label: 'Gradient clip',
    help: 'Global gradient-norm clip (paper: 1.0).' },
};

export const CONFIG_KEYS = Object.keys(CONFIG_SPECS) as ConfigKey[];

export function defaultConfig(): AzrConfig {
  const c = {} as Record<string, unknown>;
  for (const key of CONFIG_KEYS) c[key] = CONFIG_SPECS[key].default;
  return c as unknown as AzrConfig;
}

/** Named starting points: `paper` for a machine with a real GPU, `tiny` for tests and e2e. */
export const PRESETS: Record<'default' | 'paper' | 'tiny', Partial<AzrConfig>> = {
  default: {},
  paper: { batchSize: 64, rollouts: 8, references: 6, inductionInputs: 10, modelSize: 'medium', learningRate: 1e-6 },
  tiny: { modelSize: 'tiny', batchSize: 2, rollouts: 2, references: 1, inductionInputs: 4, seedFactor: 1, maxProgramTokens: 48, maxAnswerTokens: 16 },
};
export type PresetName = keyof typeof PRESETS;

export function presetConfig(name: PresetName): AzrConfig {
  return { ...defaultConfig(), ...PRESETS[name] };
}

export type ConfigResult = { ok: true; config: AzrConfig } | { ok: false; message: string };

export function describeRange(spec: ParamSpec): string {
  switch (spec.kind) {
    case 'int': return `an integer from ${spec.min} to ${spec.max}`;
    case 'float': return `a number from ${spec.min} to ${spec.max}`;
    case 'bool': return 'true or false';
    case 'enum': return `one of ${spec.options.join(', ')}`;
  }
}

function isConfigKey(key: string): key is ConfigKey {
  return Object.prototype.hasOwnProperty.call(CONFIG_SPECS, key);
}

/** Parses one value for one key from its text form (a flag, a URL parameter), refusing what is out of range. */
export function parseConfigValue(key: string, text: string): { ok: true; key: ConfigKey; value: AzrConfig[ConfigKey] } | { ok: false; message: string } {
  if (!isConfigKey(key)) return { ok: false, message: `unknown config key "${key}" (known: ${CONFIG_KEYS.join(', ')})` };
  const spec: ParamSpec = CONFIG_SPECS[key];
  const bad = { ok: false as const, message: `${key} must be ${describeRange(spec)}, got "${text}"` };
  const t = text.trim();
  switch (spec.kind) {
    case 'bool':
      if (t === 'true' || t === '1') return { ok: true, key, value: true };
      if (t === 'false' || t === '0') return { ok: true, key, value: false };
      return bad;
    case 'enum':
      return spec.options.includes(t) ? { ok: true, key, value: t as AzrConfig[ConfigKey] } : bad;
    case 'int':
    case 'float': {
      if (t === '' || !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return bad;
      const v = Number(t);
      if (!Number.isFinite(v) || v < spec.min || v > spec.max) return bad;
      if (spec.kind === 'int' && !Number.isInteger(v)) return bad;
      return { ok: true, key, value: v };
    }
  }
}

/** Checks a whole config (e.g. one loaded from a saved run); the message names the first bad key. */
export function checkConfig(candidate: Record<string, unknown>): ConfigResult {
  const config = defaultConfig();
  for (const [key, value] of Object.entries(candidate)) {
    const parsed = parseConfigValue(key, String(value));
    if (!parsed.ok) return parsed;
    (config as unknown as Record<string, unknown>)[key] = parsed.value;
  }
  if (!config.deduction && !config.abduction && !config.induction) {
    return { ok: false, message: 'at least one of deduction, abduction, induction must be on' };
  }
  return { ok: true, config };
}

/** Applies `key=value` overrides (CLI `--set`) on top of a base config. */
export function applyOverrides(base: AzrConfig, overrides: readonly string[]): ConfigResult {
  const merged: Record<string, unknown> = { ...base };
  for (const item of overrides) {
    const eq = item.indexOf('=');
    if (eq <= 0) return { ok: false, message: `expected key=value, got "${item}"` };
    const key = item.slice(0, eq);
    const parsed = parseConfigValue(key, item.slice(eq + 1));
    if (!parsed.ok) return parsed;
    merged[parsed.key] = parsed.value;
  }
  return checkConfig(merged);
}

/** The non-default values as a URL query (`?batchSize=4&induction=false`), versioned. */
export const CONFIG_URL_VERSION = 1;
export function configToQuery(config: AzrConfig): string {
  const params = new URLSearchParams();
  const defaults = defaultConfig();
  for (const key of CONFIG_KEYS) {
    if (config[key] !== defaults[key]) params.set(key, String(config[key]));
  }
  if ([...params.keys()].length === 0) return '';
  params.set('v', String(CONFIG_URL_VERSION));
  return `?${params.toString()}`;
}

/** Reads a config from a URL query; unknown keys and out-of-range values are refused with a message. */
export function configFromQuery(query: string): ConfigResult {
  const params = new URLSearchParams(query);
  const overrides: string[] = [];
  for (const [key, value] of params) {
    if (key === 'v') {
      if (value !== String(CONFIG_URL_VERSION)) return { ok: false, message: `URL config version ${value} is not supported (this lab reads version ${CONFIG_URL_VERSION})` };
      continue;
    }
    overrides.push(`${key}=${value}`);
  }
  return applyOverrides(defaultConfig(), overrides);
}

export function enabledTaskTypes(config: AzrConfig): TaskType[] {
  return TASK_TYPES.filter((t) => config[t]);
}

export const TASK_TYPES = ['deduction', 'abduction', 'induction'] as const;
export type TaskType = (typeof TASK_TYPES)[number];
export const ROLES = ['propose', 'solve'] as const;
export type Role = (typeof ROLES)[number];
export type GroupKey = `${Role}.${TaskType}`;
export const GROUP_KEYS: GroupKey[] = ROLES.flatMap((r) => TASK_TYPES.map((t) => `${r}.${t}` as GroupKey));
