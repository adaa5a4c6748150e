// What each live chart plots, and the one-line caption that tells a newcomer what AZR is doing there.

import { TASK_TYPES, type GroupKey, type TaskType } from '../../azr/config';
import type { StepMetrics } from '../../azr/metrics';

export interface SeriesSpec {
  label: string;
  color: string;
  dash?: number[];
  value: (m: StepMetrics) => number | null;
  /** Which y axis: the left (default) or the right one. */
  axis?: 'y' | 'y2';
  /** Coloured by task type (and dashed for the proposer): the chart key above the charts explains it. */
  typed?: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  caption: string;
  series: SeriesSpec[];
  range?: [number, number];
  y2Label?: string;
}

export const TYPE_COLORS: Record<TaskType, string> = { deduction: '#2563eb', abduction: '#d97706', induction: '#16a34a' };
const PROPOSER_DASH = [6, 4];
const NEUTRAL = '#475569';

const perType = (value: (m: StepMetrics, t: TaskType) => number | null, dash?: number[]): SeriesSpec[] =>
  TASK_TYPES.map((t) => ({ label: t, color: TYPE_COLORS[t], dash, typed: true, value: (m) => value(m, t) }));

/** A group that had no members this step (a task type switched off) is a gap, not a zero. */
const group = (m: StepMetrics, key: GroupKey, field: 'rewardMean' | 'accuracy' | 'baselineMean' | 'baselineStd') =>
  m.groups[key].count > 0 ? m.groups[key][field] : null;

const sixGroups = (field: 'rewardMean' | 'baselineMean' | 'baselineStd'): SeriesSpec[] => [
  ...TASK_TYPES.map((t) => ({ label: `solve ${t}`, color: TYPE_COLORS[t], typed: true, value: (m: StepMetrics) => group(m, `solve.${t}`, field) })),
  ...TASK_TYPES.map((t) => ({ label: `propose ${t}`, color: TYPE_COLORS[t], dash: PROPOSER_DASH, typed: true, value: (m: StepMetrics) => group(m, `propose.${t}`, field) })),
];

export const CHART_SECTIONS: { title: string; blurb: string; charts: ChartSpec[] }[] = [
  {
    title: 'Is it learning?',
    blurb: 'The solver should get better at the tasks, while the proposer keeps them neither too easy nor too hard.',
    charts: [
      {
        id: 'reward', title: 'Reward by role and task type',
        caption: 'Solid: solver (1 right, −0.5 wrong, −1 malformed). Dashed: proposer (learnability of a valid task, −1 for an invalid one).',
        series: sixGroups('rewardMean'),
      },
      {
        id: 'accuracy', title: 'Solver accuracy',
        caption: 'Share of the solver\'s answers that the executor confirmed correct, per task type.',
        series: perType((m, t) => group(m, `solve.${t}`, 'accuracy')), range: [0, 1],
      },
      {
        id: 'learnability', title: 'Learnability of proposals',
        caption: 'A task solved by some but not all of n tries is worth learning (1 − solve rate). Always or never solved earns 0.',
        series: perType((m, t) => group(m, `propose.${t}`, 'accuracy'), PROPOSER_DASH), range: [0, 1],
      },
      {
        id: 'guess-rate', title: 'Solved by guessing?',
        caption: 'Guess rate. Dashed: share of answers written for other tasks that would solve a proposed task too. Solid: share of the batch\'s other tasks a solver answer also solves. Rising with solver accuracy means it passes by repeating a favourite answer (0, [], …), not by reading the program.',
        series: [
          ...perType((m, t) => (m.groups[`solve.${t}`].count > 0 ? m.groups[`solve.${t}`].guessRate ?? null : null)),
          ...perType((m, t) => (m.groups[`propose.${t}`].count > 0 ? m.groups[`propose.${t}`].guessRate ?? null : null), PROPOSER_DASH),
        ], range: [0, 1],
      },
    ],
  },
  {
    title: 'What is it proposing?',
    blurb: 'Only programs that QuickJS runs safely and deterministically become tasks; the buffers are the curriculum.',
    charts: [
      {
        id: 'valid', title: 'Valid proposals',
        caption: 'Share of proposed tasks the sandbox accepted (parses, safe, deterministic, plain output). Reasons for the rest below.',
        series: perType((m, t) => (m.proposals[t].total > 0 ? m.proposals[t].valid / m.proposals[t].total : null), PROPOSER_DASH), range: [0, 1],
      },
      {
        id: 'buffers', title: 'Task buffers',
        caption: 'Valid tasks collected so far, per type. The solver trains on the newest, then on a uniform draw from these.',
        series: perType((m, t) => m.buffers[t]),
      },
      {
        id: 'program', title: 'Program size and complexity',
        caption: 'Mean length (characters, left) and branches/loops/callbacks (right) of this step\'s valid programs.',
        series: [
          { label: 'length', color: NEUTRAL, value: (m) => m.programChars },
          { label: 'complexity', color: '#9333ea', axis: 'y2', value: (m) => m.programComplexity },
        ],
        y2Label: 'complexity',
      },
      {
        id: 'diversity', title: 'Answer and operation diversity',
        caption: 'Distinct outputs among valid proposals (1 = all different), and how rare their operations are among earlier tasks (operation novelty). A late drop is the diversity collapse to watch for. Held-out compositions: share of new tasks that chain operations the way only the held-out evaluation families do (filter→reduce, map→join, a ternary in a map callback, …); near 0, self-play is not exploring what the evaluation tests.',
        series: [
          { label: 'diversity', color: '#0891b2', value: (m) => m.answerDiversity },
          { label: 'operation novelty', color: '#65a30d', value: (m) => m.operationNovelty },
          { label: 'held-out compositions', color: '#ea580c', value: (m) => m.heldOutCompositions ?? null },
          { label: 'output types', color: '#be185d', axis: 'y2', value: (m) => m.outputTypes },
        ],
        y2Label: 'types',
      },
    ],
  },
  {
    title: 'The update (TRR++)',
    blurb: 'Rewards are normalised within each of the six role × task groups, then one policy-gradient step is taken.',
    charts: [
      {
        id: 'baseline-mean', title: 'Group baselines (mean reward)',
        caption: 'Each group\'s reward is measured against its own mean, because proposing and solving pay on different scales.',
        series: sixGroups('baselineMean'),
      },
      {
        id: 'baseline-std', title: 'Group spread (std)',
        caption: 'Rewards are divided by this spread. Near 0 means every sample scored alike: that group teaches nothing this step.',
        series: sixGroups('baselineStd'),
      },
      {
        id: 'loss', title: 'Policy loss',
        caption: 'The clipped policy-gradient loss of the update. Its level means little; spikes and NaNs mean trouble.',
        series: [{ label: 'loss', color: NEUTRAL, value: (m) => m.loss }],
      },
      {
        id: 'entropy', title: 'Entropy and drift',
        caption: 'How spread out the model\'s token choices are (left): a fast fall means it is collapsing onto a few answers. Dashed (right): per-token KL to the starting model, measured while "KL to the base" is above 0.',
        series: [
          { label: 'entropy', color: '#0d9488', value: (m) => m.entropy },
          { label: 'KL to the base', color: '#7c3aed', dash: [4, 3], axis: 'y2', value: (m) => (m.klToReference ? m.klToReference : null) },
        ],
      },
      {
        id: 'gradnorm', title: 'Gradient norm',
        caption: 'Size of the update before clipping (clip at the "Gradient clip" setting). Steady is healthy.',
        series: [{ label: 'grad norm', color: '#b91c1c', value: (m) => m.gradNorm }],
      },
      {
        id: 'speed', title: 'Speed',
        caption: 'Tokens per second (left: sampled and trained) and seconds per step (right) on this backend.',
        series: [
          { label: 'tokens/s', color: NEUTRAL, value: (m) => m.tokensPerSecond },
          { label: 's/step', color: '#c2410c', axis: 'y2', value: (m) => m.stepMs / 1000 },
        ],
        y2Label: 's/step',
      },
    ],
  },
];
