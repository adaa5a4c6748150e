import { CONFIG_KEYS, CONFIG_SPECS, type ConfigGroup } from '../../azr/config';
import { ParamControl } from './ParamControl';

const GROUPS: { group: ConfigGroup; title: string; blurb: string; open: boolean }[] = [
  { group: 'tasks', title: 'Tasks', blurb: 'Which task types are played, and how many per step. Switching types off reproduces the paper\'s ablations.', open: true },
  { group: 'rewards', title: 'Rewards and advantages', blurb: 'How proposals and answers are scored, and how TRR++ turns scores into advantages.', open: false },
  { group: 'optimiser', title: 'Optimiser', blurb: 'The policy-gradient step (AdamW).', open: false },
  { group: 'decoding', title: 'Decoding', blurb: 'How the model samples its responses.', open: false },
];

/** Every hyperparameter of the engine's table, grouped; the `run` group lives with the run controls. */
export function ParamPanel() {
  return (
    <section className="panel params" aria-label="Hyperparameters">
      <h2>Hyperparameters</h2>
      <p className="panel-blurb">Badges say when a change takes effect: <span className="badge badge-next">next step</span> or <span className="badge badge-reset">needs reset</span>.</p>
      {GROUPS.map((g) => (
        <details key={g.group} open={g.open} className="param-group" data-testid={`group-${g.group}`}>
          <summary>{g.title}</summary>
          <p className="panel-blurb">{g.blurb}</p>
          {CONFIG_KEYS.filter((k) => CONFIG_SPECS[k].group === g.group).map((k) => <ParamControl key={k} k={k} />)}
        </details>
      ))}
    </section>
  );
}
