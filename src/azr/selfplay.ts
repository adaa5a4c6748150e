// One Absolute Zero self-play step, top to bottom (AZR.md "One training step"), in the spirit of
// CleanRL: propose → validate → solve → check → rewards → TRR++ advantages → one update → metrics.
// Pure TypeScript: the model sits behind `Policy`, QuickJS behind `Executor`; runs in Node and in the
// trainer worker unchanged.

import type { Executor, VerdictReason } from '../sandbox/types';
import { checkAnswers, validateProposals, type CheckRequest, type CheckResult } from '../sandbox/check';
import { leaveOneOutAdvantages, taskRelativeAdvantages, type RewardedTrajectory } from './advantages';
import {
  bufferSizes, createBuffers, IDENTITY_SEED, splitInductionPairs, type BufferedTask, type Buffers,
  type InductionTask, type TaskBuffer, type Triplet,
} from './buffers';
import { enabledTaskTypes, GROUP_KEYS, TASK_TYPES, type AzrConfig, type GroupKey, type TaskType } from './config';
import {
  emptyGroupMetrics, jsonType, mean, std, type GroupMetrics, type PhaseName, type StepMetrics,
} from './metrics';
import type { Generation, GenerationRequest, Policy } from './policy';
import { heldOutFeatures } from '../data/features';
import { functionArity, operationNovelty, programComplexity, programOperations } from './program';
import {
  parseAnswer, parseInductionProposal, parseTripletProposal, proposeInductionPrompt, proposeTripletPrompt,
  solvePrompt, RESPONSE_KIND,
} from './prompts';
import { guessableInduction, guessableOutput } from './guessable';
import { proposerReward, proposerRewardWithNovelty, solverReward, solverRewardAboveGuessing, type SolveOutcome } from './rewards';
import { createRng, type Rng } from './rng';

/** What one step did, task by task, for the live feed and the inspector. */
export interface ProposalSample {
  type: TaskType;
  text: string;
  /** `valid`, `malformed`, the executor's reason, or `guessable` (refused with `rejectGuessable`). */
  verdict: 'valid' | 'malformed' | 'guessable' | VerdictReason;
  message?: string;
  taskId?: number;
  output?: string;
  solved?: number;
  rollouts?: number;
  /** Share of answers written for other tasks of the step that would also solve this one. */
  guessRate?: number;
  reward: number;
  advantage: number;
}
export interface SolveSample {
  type: TaskType;
  taskId: number;
  answer: string;
  outcome: SolveOutcome;
  reason?: string;
  reward: number;
  advantage: number;
}
export interface StepRecord { metrics: StepMetrics; proposals: ProposalSample[]; solves: SolveSample[] }

export interface SeedingProgress { valid: number; target: number; induction: number; inductionTarget: number; attempts: number }

/** Writes `count` executor-labelled tasks of one type (src/data/generator-tasks.ts). */
export type TaskWriter = (type: TaskType, count: number) => Promise<(Triplet | InductionTask)[]>;

export interface SelfPlayOptions {
  /** Called with the seeding phase's progress, so the first seconds are never blank. */
  onSeedingProgress?: (p: SeedingProgress) => void;
  /**
   * A diagnostic, not AZR: each step's B tasks per type come from this writer (the pretraining
   * generator) instead of the proposer, and only the solver is trained. No seeding, no learnability
   * rollouts, no proposer trajectories; the solver batch is the step's fresh tasks, as in self-play.
   */
  tasksFrom?: TaskWriter;
  /**
   * Ours, not the paper's: the K references of every deduction/abduction proposal, and the program an
   * induction proposal writes inputs for, come fresh from this writer (the pretraining generator)
   * instead of the task buffers. The proposer still writes, and is rewarded for, every task; only what
   * it is shown is anchored to the distribution its base was trained on, so the curriculum cannot drift
   * through its own references.
   */
  referencesFrom?: TaskWriter;
}

interface ProposedTask {
  type: TaskType;
  /** Induction only: the buffered program the inputs are written for. */
  program?: string;
  generation: Generation;
  verdict: ProposalSample['verdict'];
  message?: string;
  task?: Triplet | InductionTask;
  entry?: BufferedTask;
  solved: number;
  guessRate?: number;
  reward: number;
  advantage: number;
}

interface SolveAttempt {
  type: TaskType;
  entry: BufferedTask;
  generation: Generation;
  outcome: SolveOutcome;
  reason?: string;
  /** Share of the batch's other tasks of this type that the same answer also solves. */
  guessRate: number;
  reward: number;
  advantage: number;
}

const LEARNABILITY_TEMPERATURE = 1;
/** Answers written for other tasks that each task's guess rate is measured on. */
const GUESS_ANSWERS = 8;

export class SelfPlay {
  readonly buffers: Buffers = createBuffers();
  step = 0;
  seeded = false;
  private rng: Rng;

  constructor(
    private readonly policy: Policy,
    private readonly executor: Executor,
    public config: AzrConfig,
    private readonly options: SelfPlayOptions = {},
  ) {
    this.rng = createRng(config.seed);
  }

  private nextSeed(): number { return this.rng.int(2 ** 31); }

  /** The run's random state, so a run restored from a checkpoint makes the same choices as one never stopped. */
  get rngState(): [number, number, number, number] { return this.rng.state(); }
  set rngState(state: [number, number, number, number]) { this.rng = createRng(state); }

  private buffer(type: TaskType): TaskBuffer<TaskType> { return this.buffers[type] as unknown as TaskBuffer<TaskType>; }

  /** Operation sets of programs, memoised (buffers are re-read every step). */
  private readonly operationCache = new Map<string, Set<string>>();

  private operationsOf(program: string): Set<string> {
    let ops = this.operationCache.get(program);
    if (!ops) {
      ops = programOperations(program);
      this.operationCache.set(program, ops);
    }
    return ops;
  }

  /** Operation sets of the tasks of one type that entered the buffer before `step` (the novelty reference). */
  private earlierOperations(type: TaskType, step: number): Set<string>[] {
    return this.buffer(type).all().filter((t) => t.step < step).map((t) => this.operationsOf(t.task.program));
  }

  /** `program` is the program an argument list is written for (abduction answers, induction inputs). */
  private requestFor(type: TaskType, role: 'propose' | 'solve', prompt: string, program?: string): GenerationRequest {
    const c = this.config;
    const kind = RESPONSE_KIND[role][type];
    const maxTokens = kind === 'value' || kind === 'args' ? c.maxAnswerTokens
      : kind === 'induction' ? c.inductionInputs * c.maxAnswerTokens : c.maxProgramTokens;
    const arity = program !== undefined && (kind === 'args' || kind === 'induction') ? functionArity(program) : undefined;
    return { prompt, kind, maxTokens, inductionInputs: c.inductionInputs, arity };
  }

  /** `count` proposer requests of one type; with `referencesFrom`, their references are fetched first. */
  private async proposeRequests(type: TaskType, count: number): Promise<GenerationRequest[]> {
    const writer = this.options.referencesFrom;
    if (!writer) return Array.from({ length: count }, () => this.proposeRequest(type));
    const perRequest = type === 'induction' ? 1 : this.config.references;
    const written = perRequest > 0 ? (await writer('deduction', count * perRequest)) as Triplet[] : [];
    return Array.from({ length: count }, (_, i) => this.proposeRequest(type, written.slice(i * perRequest, (i + 1) * perRequest)));
  }

  /** `given`: the references (or, for induction, the program) to use instead of the buffers'. */
  private proposeRequest(type: TaskType, given?: readonly Triplet[]): GenerationRequest {
    const c = this.config;
    if (type === 'induction') {
      const pool = [...this.buffers.deduction.all(), ...this.buffers.abduction.all()];
      const program = given?.length ? given[0].program : pool[this.rng.int(pool.length)].task.program;
      return this.requestFor(type, 'propose', proposeInductionPrompt(program), program);
    }
    const refs = given ?? this.buffer(type).references(c.references, this.rng).map((r) => r.task as Triplet);
    const budget = this.policy.contextLength - c.maxProgramTokens;
    const { text } = proposeTripletPrompt(type, refs, (s) => this.policy.encode(s), budget);
    return this.requestFor(type, 'propose', text);
  }

  /** Runs parsed proposals through the executor; returns per proposal a verdict and, if valid, the task. */
  private async validate(proposals: ProposedTask[]): Promise<void> {
    const runs: { program: string; input: string }[] = [];
    const owners: { p: ProposedTask; inputs?: string[]; message?: string }[] = [];
    for (const p of proposals) {
      if (p.type === 'induction') {
        const parsed = parseInductionProposal(p.generation.text, this.config.inductionInputs);
        if (!parsed.ok) { p.verdict = 'malformed'; p.message = parsed.reason; continue; }
        const program = p.program ?? '';
        owners.push({ p, inputs: parsed.value.inputs, message: parsed.value.message });
        for (const input of parsed.value.inputs) runs.push({ program, input });
      } else {
        const parsed = parseTripletProposal(p.generation.text);
        if (!parsed.ok) { p.verdict = 'malformed'; p.message = parsed.reason; continue; }
        owners.push({ p });
        runs.push(parsed.value);
      }
    }
    const verdicts = await validateProposals(this.executor, runs);
    let k = 0;
    for (const o of owners) {
      const n = o.inputs ? o.inputs.length : 1;
      const mine = verdicts.slice(k, k + n);
      const mineRuns = runs.slice(k, k + n);
      k += n;
      const bad = mine.find((v) => !v.ok);
      if (bad && !bad.ok) { o.p.verdict = bad.reason; o.p.message = bad.message; continue; }
      const outputs = mine.map((v) => (v.ok ? v.output : ''));
      const pairs = o.inputs?.map((input, i) => ({ input, output: outputs[i] }));
      const guessable = !this.config.rejectGuessable ? undefined : pairs ? guessableInduction(pairs) : guessableOutput(outputs[0]);
      if (guessable) { o.p.verdict = 'guessable'; o.p.message = guessable; continue; }
      o.p.verdict = 'valid';
      if (pairs) {
        o.p.task = { program: mineRuns[0].program, pairs, shown: splitInductionPairs(pairs).shown.length, message: o.message ?? '' };
      } else {
        o.p.task = { program: mineRuns[0].program, input: mineRuns[0].input, output: outputs[0] };
      }
    }
  }

  private checkRequest(type: TaskType, task: Triplet | InductionTask, answerText: string): CheckRequest {
    if (type === 'deduction') { const t = task as Triplet; return { type, program: t.program, input: t.input, answer: answerText }; }
    if (type === 'abduction') { const t = task as Triplet; return { type, program: t.program, output: t.output, answer: answerText }; }
    const t = task as InductionTask;
    return { type, pairs: splitInductionPairs(t.pairs).heldOut, answer: answerText };
  }

  /** Checks solver responses: a response that does not parse is malformed, else the executor judges it. */
  private async check(items: { type: TaskType; task: Triplet | InductionTask; generation: Generation }[]): Promise<{ outcome: SolveOutcome; reason?: string }[]> {
    const results: { outcome: SolveOutcome; reason?: string }[] = items.map(() => ({ outcome: 'malformed' }));
    const requests: CheckRequest[] = [];
    const index: number[] = [];
    items.forEach((it, i) => {
      const answer = parseAnswer(it.generation.text);
      if (!answer.ok) { results[i].reason = answer.reason; return; }
      requests.push(this.checkRequest(it.type, it.task, answer.value));
      index.push(i);
    });
    const checked: CheckResult[] = await checkAnswers(this.executor, requests);
    checked.forEach((r, j) => {
      const i = index[j];
      if (r.correct) results[i] = { outcome: 'correct' };
      else if (r.reason === 'answer-syntax' || r.reason === 'syntax' || r.reason === 'forbidden') results[i] = { outcome: 'malformed', reason: r.reason };
      else results[i] = { outcome: 'wrong', reason: r.reason };
    });
    return results;
  }

  /**
   * Guess rate of each valid proposal: of the learnability rollouts written for *other* tasks of its
   * type this step (up to GUESS_ANSWERS, taken round-robin over those tasks, unparseable ones counted as
   * failures), the share that would also solve it. A solver that writes `0` for everything has a high
   * guess rate on every task whose output is 0. No randomness is drawn, so runs replay unchanged.
   */
  private async guessRates(items: readonly { type: TaskType; owner: ProposedTask }[], gens: readonly Generation[]): Promise<void> {
    const answers = new Map<ProposedTask, (string | undefined)[]>();
    items.forEach((it, i) => {
      const parsed = parseAnswer(gens[i].text);
      const list = answers.get(it.owner) ?? [];
      list.push(parsed.ok ? parsed.value : undefined);
      answers.set(it.owner, list);
    });
    const owners = [...answers.keys()];
    const probes = owners.map((p) => {
      const others = owners.filter((o) => o !== p && o.type === p.type).map((o) => answers.get(o)!);
      const picked: (string | undefined)[] = [];
      for (let round = 0; picked.length < GUESS_ANSWERS && others.some((o) => o.length > round); round++) {
        for (const o of others) if (round < o.length && picked.length < GUESS_ANSWERS) picked.push(o[round]);
      }
      const requests = picked.filter((a): a is string => a !== undefined).map((a) => this.checkRequest(p.type, p.task!, a));
      return { requests, of: picked.length };
    });
    const shares = await this.solvedShares(probes);
    owners.forEach((p, i) => { p.guessRate = shares[i]; });
  }

  /** Runs every probe's checks in one batch; per probe, its right answers over `of` (0 when `of` is 0). */
  private async solvedShares(probes: readonly { requests: CheckRequest[]; of: number }[]): Promise<number[]> {
    const all = probes.flatMap((p) => p.requests);
    const results = all.length > 0 ? await checkAnswers(this.executor, all) : [];
    let first = 0;
    return probes.map(({ requests, of }) => {
      const right = results.slice(first, first + requests.length).filter((r) => r.correct).length;
      first += requests.length;
      return of === 0 ? 0 : right / of;
    });
  }

  /**
   * For each solver answer, the share of the batch's other tasks of its type (up to GUESS_ANSWERS, the
   * ones after it, cyclically) that the same answer also solves; 0 for an answer that does not parse.
   */
  private answerGuessRates(items: readonly { type: TaskType; task: Triplet | InductionTask }[], gens: readonly Generation[]): Promise<number[]> {
    return this.solvedShares(items.map((it, i) => {
      const parsed = parseAnswer(gens[i].text);
      if (!parsed.ok) return { requests: [], of: 0 };
      const others = items.map((o, j) => ({ o, j })).filter(({ o, j }) => j !== i && o.type === it.type);
      const after = [...others.filter(({ j }) => j > i), ...others.filter(({ j }) => j < i)].slice(0, GUESS_ANSWERS);
      return { requests: after.map(({ o }) => this.checkRequest(o.type, o.task, parsed.value)), of: after.length };
    }));
  }

  /**
   * The seeding phase (AZR.md "Buffers and the seed"): from the identity seed, the proposer — with no
   * weight update — fills the deduction/abduction set to B × seedFactor valid triplets, then writes
   * induction inputs for those programs. Attempts are bounded, so a model that proposes nothing valid
   * still starts (with the buffers it has).
   */
  async seed(): Promise<SeedingProgress> {
    const c = this.config;
    const target = c.batchSize * c.seedFactor;
    const { deduction, abduction, induction } = this.buffers;
    if (this.options.tasksFrom) {
      // The generator writes every step's tasks; there is nothing to seed.
      this.seeded = true;
      return { valid: 0, target: 0, induction: 0, inductionTarget: 0, attempts: 0 };
    }
    deduction.add(IDENTITY_SEED, 'seed', 0, true);
    abduction.add(IDENTITY_SEED, 'seed', 0, true);
    const progress: SeedingProgress = { valid: 1, target, induction: 0, inductionTarget: c.induction ? target : 0, attempts: 0 };
    const maxRounds = 2 * c.seedFactor + 4;
    for (let round = 0; round < maxRounds && deduction.size < target; round++) {
      const proposals: ProposedTask[] = [];
      const requests = await this.proposeRequests('deduction', c.batchSize);
      const gens = await this.policy.generate(requests, this.generationOptions());
      for (const generation of gens) proposals.push(this.blankProposal('deduction', generation));
      await this.validate(proposals);
      for (const p of proposals) {
        progress.attempts++;
        if (p.verdict !== 'valid' || !p.task || deduction.size >= target) continue;
        if (deduction.add(p.task as Triplet, 'seeding', 0, c.dropDuplicates)) abduction.add(p.task as Triplet, 'seeding', 0, c.dropDuplicates);
      }
      progress.valid = deduction.size;
      this.options.onSeedingProgress?.({ ...progress });
    }
    if (c.induction) {
      for (let round = 0; round < maxRounds && induction.size < target; round++) {
        const proposals = await this.proposeBatches(['induction']);
        await this.validate(proposals);
        for (const p of proposals) {
          progress.attempts++;
          if (p.verdict === 'valid' && p.task && induction.size < target) induction.add(p.task as InductionTask, 'seeding', 0, c.dropDuplicates);
        }
        progress.induction = induction.size;
        this.options.onSeedingProgress?.({ ...progress });
      }
    }
    this.seeded = true;
    return progress;
  }

  private generationOptions(temperature = this.config.temperature) {
    return { temperature, topK: this.config.topK, constrained: this.config.constrained, seed: this.nextSeed() };
  }

  private blankProposal(type: TaskType, generation: Generation): ProposedTask {
    return { type, generation, verdict: 'malformed', solved: 0, reward: 0, advantage: 0 };
  }

  /** B proposals of each type, decoded as one batch (one sampler call for the whole phase). */
  private async proposeBatches(types: readonly TaskType[]): Promise<ProposedTask[]> {
    const perType: { type: TaskType; requests: GenerationRequest[] }[] = [];
    for (const type of types) perType.push({ type, requests: await this.proposeRequests(type, this.config.batchSize) });
    const gens = await this.policy.generate(perType.flatMap((t) => t.requests), this.generationOptions());
    let next = 0;
    return perType.flatMap(({ type, requests }) => requests.map((request) => {
      const p = this.blankProposal(type, gens[next++]);
      if (type === 'induction') {
        // The program the inputs are for is in the prompt; keep it beside the proposal.
        const prompt = request.prompt;
        p.program = prompt.slice(prompt.indexOf('<program>') + 9, prompt.lastIndexOf('<input>'));
      }
      return p;
    }));
  }

  async runStep(): Promise<StepRecord> {
    if (!this.seeded) await this.seed();
    const c = this.config;
    const types = enabledTaskTypes(c);
    const phases: Record<PhaseName, number> = { propose: 0, validate: 0, solve: 0, check: 0, reward: 0, update: 0 };
    const started = performance.now();
    let tick = started;
    const lap = (phase: PhaseName) => { const now = performance.now(); phases[phase] += now - tick; tick = now; };
    let tokensGenerated = 0;
    const count = (gens: Generation[]) => { for (const g of gens) tokensGenerated += g.responseIds.length; return gens; };
    this.step += 1;
    const step = this.step;

    // 1. Propose: B proposals per task type, conditioned on K references (or one program, for induction).
    const proposals: ProposedTask[] = [];
    const writer = this.options.tasksFrom;
    if (!writer) proposals.push(...await this.proposeBatches(types));
    count(proposals.map((p) => p.generation));
    lap('propose');

    // 2. Validate with the executor; valid tasks enter their buffer (duplicates dropped if asked).
    await this.validate(proposals);
    const fresh: Record<TaskType, BufferedTask[]> = { deduction: [], abduction: [], induction: [] };
    const duplicates: Record<TaskType, number> = { deduction: 0, abduction: 0, induction: 0 };
    for (const p of proposals) {
      if (p.verdict !== 'valid' || !p.task) continue;
      const entry = this.buffer(p.type).add(p.task, 'self-play', step, c.dropDuplicates);
      if (entry) { p.entry = entry; fresh[p.type].push(entry); } else duplicates[p.type]++;
    }
    // The generator diagnostic: the step's tasks, already labelled by the executor, go straight in.
    if (writer) {
      for (const type of types) {
        for (const task of await writer(type, c.batchSize)) {
          const entry = this.buffer(type).add(task, 'generator', step, false);
          if (entry) fresh[type].push(entry);
        }
      }
    }
    lap('validate');

    // 3. Solve: n rollouts per valid proposal to estimate its learnability (not trained on), then one
    //    trained solver response per task of the solver batch (this step's tasks first, then the buffer).
    const valid = proposals.filter((p) => p.verdict === 'valid' && p.task);
    const rolloutItems = valid.flatMap((p) => Array.from({ length: c.rollouts }, () => ({ type: p.type, task: p.task!, owner: p })));
    const solverBatch = types.flatMap((type) => this.buffer(type).solverBatch(c.batchSize, fresh[type], this.rng)
      .map((entry) => ({ type, entry, task: entry.task as Triplet | InductionTask })));
    //    Both are decoded as one batch, each response at its own temperature.
    const solveGens = count(await this.policy.generate([
      ...rolloutItems.map((it) => ({ ...this.requestFor(it.type, 'solve', solvePrompt(it.type, it.task), it.task.program), temperature: LEARNABILITY_TEMPERATURE })),
      ...solverBatch.map((it) => this.requestFor(it.type, 'solve', solvePrompt(it.type, it.task), it.task.program)),
    ], this.generationOptions()));
    const rolloutGens = solveGens.slice(0, rolloutItems.length);
    const solverGens = solveGens.slice(rolloutItems.length);
    lap('solve');

    // 4. Check every answer with the executor, as data.
    const checked = await this.check([
      ...rolloutItems.map((it, i) => ({ type: it.type, task: it.task, generation: rolloutGens[i] })),
      ...solverBatch.map((it, i) => ({ type: it.type, task: it.task, generation: solverGens[i] })),
    ]);
    const rolloutResults = checked.slice(0, rolloutItems.length);
    const solveResults = checked.slice(rolloutItems.length);
    await this.guessRates(rolloutItems, rolloutGens);
    const answerGuess = await this.answerGuessRates(solverBatch, solverGens);
    // The rollouts' own guess rates matter only when they are trained on with guessing discounted.
    const rolloutGuess = c.trainRollouts && c.guessCorrection === 'both' ? await this.answerGuessRates(rolloutItems, rolloutGens) : rolloutItems.map(() => 0);
    lap('check');

    // 5. Rewards: learnability for proposals (composite: −1 if malformed or invalid), correctness for answers.
    rolloutItems.forEach((it, i) => { if (rolloutResults[i].outcome === 'correct') it.owner.solved++; });
    const novelty = new Map<ProposedTask, number>();
    const earlier = new Map(types.map((type) => [type, this.earlierOperations(type, step)]));
    for (const p of valid) novelty.set(p, operationNovelty(this.operationsOf(p.task!.program), earlier.get(p.type)!));
    for (const p of proposals) {
      p.reward = p.verdict !== 'valid'
        ? proposerReward({ kind: p.verdict === 'malformed' ? 'malformed' : 'invalid' })
        : proposerRewardWithNovelty({ kind: 'valid', solved: p.solved, rollouts: c.rollouts, guessRate: c.guessCorrection !== 'off' ? p.guessRate ?? 0 : undefined },
          c.extremeSolveRate, c.noveltyBonus, novelty.get(p) ?? 0);
      if (p.entry) {
        p.entry.proposedSolveRate = { solved: p.solved, rollouts: c.rollouts };
        this.buffer(p.type).recordSolves(p.entry.id, step, c.rollouts, p.solved);
      }
    }
    const answerReward = (outcome: SolveOutcome, guessRate: number) =>
      (c.guessCorrection === 'both' ? solverRewardAboveGuessing(outcome, guessRate) : solverReward(outcome));
    const solves: SolveAttempt[] = solverBatch.map((it, i) => ({
      type: it.type, entry: it.entry, generation: solverGens[i], outcome: solveResults[i].outcome, reason: solveResults[i].reason,
      guessRate: answerGuess[i], reward: answerReward(solveResults[i].outcome, answerGuess[i]), advantage: 0,
    }));
    for (const s of solves) this.buffer(s.type).recordSolves(s.entry.id, step, 1, s.outcome === 'correct' ? 1 : 0);
    lap('reward');

    // 6. TRR++: advantages normalised within each of the six (role × task type) groups.
    const trajectories: { group: GroupKey; holder: { advantage: number; reward: number; generation: Generation } }[] = [
      ...proposals.map((p) => ({ group: `propose.${p.type}` as GroupKey, holder: p })),
      ...solves.map((s) => ({ group: `solve.${s.type}` as GroupKey, holder: s })),
    ];
    const rewarded: RewardedTrajectory[] = trajectories.map((t) => ({ group: t.group, reward: t.holder.reward, responseTokens: t.holder.generation.responseIds.length }));
    const { advantages, groups: baselines } = taskRelativeAdvantages(rewarded, { baseline: c.baseline, normalisation: c.normalisation });
    trajectories.forEach((t, i) => { t.holder.advantage = advantages[i]; });

    //    With trainRollouts (ours), the learnability rollouts are solver trajectories too, each task's n
    //    answers credited against one another (leave-one-out), outside the six TRR++ groups.
    const rolloutTrajectories: { generation: Generation; advantage: number }[] = [];
    if (c.trainRollouts) {
      // rolloutItems holds each valid proposal's n rollouts side by side.
      for (let first = 0; first < rolloutItems.length; first += c.rollouts) {
        const mine = Array.from({ length: c.rollouts }, (_, k) => first + k);
        const rewards = mine.map((i) => answerReward(rolloutResults[i].outcome, rolloutGuess[i]));
        leaveOneOutAdvantages(rewards).forEach((advantage, k) => rolloutTrajectories.push({ generation: rolloutGens[mine[k]], advantage }));
      }
    }

    // 7. One policy-gradient step over all groups' trajectories (the proposer's left out when frozen).
    const trained = trajectories.filter((t) => !(c.solverOnly && t.group.startsWith('propose.')));
    const update = await this.policy.update([...trained.map((t) => ({ generation: t.holder.generation, advantage: t.holder.advantage })), ...rolloutTrajectories], {
      learningRate: c.learningRate, temperature: c.temperature, clipEpsilon: c.clipEpsilon, entropyCoef: c.entropyCoef, weightDecay: c.weightDecay, gradClip: c.gradClip,
      klCoef: c.klCoef,
    });
    lap('update');

    // 8. Metrics.
    const groups = {} as Record<GroupKey, GroupMetrics>;
    for (const key of GROUP_KEYS) {
      const members = trajectories.map((t, i) => ({ t, a: advantages[i] })).filter((m) => m.t.group === key);
      const rewards = members.map((m) => m.t.holder.reward);
      const g = emptyGroupMetrics();
      if (members.length) {
        const base = baselines[key];
        Object.assign(g, {
          count: members.length, rewardMean: mean(rewards), rewardMin: Math.min(...rewards), rewardMax: Math.max(...rewards),
          advantageMean: mean(members.map((m) => m.a)), advantageStd: std(members.map((m) => m.a)),
          baselineMean: base?.mean ?? 0, baselineStd: base?.std ?? 0,
          responseLength: mean(members.map((m) => m.t.holder.generation.responseIds.length)),
        });
        const type = key.split('.')[1] as TaskType;
        if (key.startsWith('propose.')) {
          const mine = proposals.filter((p) => p.type === type);
          const validMine = mine.filter((p) => p.verdict === 'valid');
          g.formatScore = mine.filter((p) => p.verdict !== 'malformed').length / mine.length;
          g.accuracy = mean(validMine.map((p) => (p.solved > 0 && p.solved < c.rollouts ? 1 - p.solved / c.rollouts : 0)));
          g.zeroStdShare = validMine.length ? validMine.filter((p) => p.solved === 0 || p.solved === c.rollouts).length / validMine.length : 0;
          g.guessRate = mean(validMine.map((p) => p.guessRate ?? 0));
        } else {
          const mine = solves.filter((s) => s.type === type);
          g.formatScore = mine.filter((s) => s.outcome !== 'malformed').length / mine.length;
          g.accuracy = mine.filter((s) => s.outcome === 'correct').length / mine.length;
          g.guessRate = mean(mine.map((s) => s.guessRate));
        }
      }
      groups[key] = g;
    }
    const invalid: Record<string, number> = {};
    for (const p of proposals) if (p.verdict !== 'valid') invalid[p.verdict] = (invalid[p.verdict] ?? 0) + 1;
    const proposalsByType = {} as StepMetrics['proposals'];
    for (const type of TASK_TYPES) {
      const mine = proposals.filter((p) => p.type === type);
      proposalsByType[type] = { total: mine.length, valid: mine.filter((p) => p.verdict === 'valid').length, duplicates: duplicates[type] };
    }
    // The step's new tasks: valid proposals, or in the generator diagnostic the generator's tasks.
    const stepTasks = writer ? types.flatMap((type) => fresh[type].map((e) => ({ type, task: e.task as Triplet | InductionTask })))
      : valid.map((p) => ({ type: p.type, task: p.task! }));
    const validTriplets = stepTasks.filter((t) => t.type !== 'induction').map((t) => t.task as Triplet);
    const outputs = validTriplets.map((t) => t.output);
    const programs = stepTasks.map((t) => t.task.program);
    const stepMs = performance.now() - started;
    const metrics: StepMetrics = {
      step,
      buffers: bufferSizes(this.buffers),
      groups,
      invalid,
      proposals: proposalsByType,
      programChars: mean(programs.map((p) => p.length)),
      programComplexity: mean(programs.map(programComplexity)),
      operationNovelty: mean([...novelty.values()]),
      answerDiversity: outputs.length ? new Set(outputs).size / outputs.length : 0,
      heldOutCompositions: mean(programs.map((p) => (heldOutFeatures(p).size > 0 ? 1 : 0))),
      outputTypes: new Set(outputs.map(jsonType)).size,
      loss: update.loss,
      entropy: update.entropy,
      klToReference: update.klToReference,
      gradNorm: update.gradNorm,
      clipFraction: update.clipFraction,
      trainedTrajectories: trained.length + rolloutTrajectories.length,
      tokensGenerated,
      tokensPerSecond: (tokensGenerated + update.tokens) / (stepMs / 1000),
      stepMs,
      phases,
    };
    return {
      metrics,
      proposals: proposals.map((p) => ({
        type: p.type, text: p.generation.text, verdict: p.verdict, message: p.message, taskId: p.entry?.id,
        output: p.task && p.type !== 'induction' ? (p.task as Triplet).output : undefined,
        solved: p.verdict === 'valid' ? p.solved : undefined, rollouts: p.verdict === 'valid' ? c.rollouts : undefined, guessRate: p.guessRate,
        reward: p.reward, advantage: p.advantage,
      })),
      solves: solves.map((s) => ({
        type: s.type, taskId: s.entry.id, answer: s.generation.text, outcome: s.outcome, reason: s.reason, reward: s.reward, advantage: s.advantage,
      })),
    };
  }
}
