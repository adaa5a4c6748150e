import { Chart } from '../charts/Chart';
import { CHART_SECTIONS, TYPE_COLORS } from '../charts/specs';
import { TASK_TYPES } from '../../azr/config';
import { useLabState } from '../context';
import { useFrameLag } from '../frames';

const BINS = 9;

/** The advantages of the current step's trajectories as a histogram: what the update pushes up or down. */
function AdvantageHistogram() {
  // With the charts' first draws, two frames after the step lands (Chart.tsx's drawSoon).
  const feed = useFrameLag(useLabState((s) => s.feed), 2);
  const values = feed ? [...feed.proposals.map((p) => p.advantage), ...feed.solves.map((s) => s.advantage)].filter(Number.isFinite) : [];
  const lo = Math.min(-2, ...values);
  const hi = Math.max(2, ...values);
  const width = (hi - lo) / BINS;
  const counts = new Array<number>(BINS).fill(0);
  for (const v of values) counts[Math.min(BINS - 1, Math.floor((v - lo) / width))]++;
  const max = Math.max(1, ...counts);
  return (
    <figure className="chart" data-testid="chart-advantages" data-points={values.length}>
      <figcaption>
        <strong>Advantages this step{feed ? ` (step ${feed.step})` : ''}</strong>
        <span className="caption">Each trajectory's advantage after TRR++: above 0 its tokens are made likelier, below 0 less likely.</span>
      </figcaption>
      <div className="histogram" role="img" aria-label="Histogram of this step's advantages">
        {counts.map((c, i) => (
          <div key={i} className="bin" title={`${(lo + i * width).toFixed(2)} … ${(lo + (i + 1) * width).toFixed(2)}: ${c}`}>
            <div className={`bin-fill ${lo + (i + 0.5) * width < 0 ? 'neg' : 'pos'}`} style={{ height: `${(c / max) * 100}%` }} />
          </div>
        ))}
      </div>
      <div className="histogram-axis"><span>{lo.toFixed(1)}</span><span>0</span><span>{hi.toFixed(1)}</span></div>
    </figure>
  );
}

const REASON_HELP: Record<string, string> = {
  malformed: 'the response did not follow the layout',
  syntax: 'the program or input does not parse',
  forbidden: 'uses something outside the allowed subset',
  timeout: 'ran past its time budget',
  memory: 'ran out of memory',
  stack: 'recursed too deep',
  'runtime-error': 'threw an error',
  nondeterministic: 'two runs disagreed',
  'output-not-plain': 'returned something that is not plain data',
  'output-too-large': 'returned too much',
  'sandbox-crash': 'the sandbox died',
  guessable: 'a constant guess solves it (output 0, -1, [] or "", or induction outputs of fewer than 3 values); refused only with "Refuse guessable tasks" on',
};

/** Why proposals were refused, summed over the run. */
function InvalidReasons() {
  useLabState((s) => s.metricsVersion);
  const metrics = useLabState((s) => s.metrics);
  const totals = new Map<string, number>();
  for (const m of metrics) for (const [r, n] of Object.entries(m.invalid)) totals.set(r, (totals.get(r) ?? 0) + n);
  const rows = [...totals].sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...rows.map((r) => r[1]));
  return (
    <figure className="chart" data-testid="chart-invalid" data-points={rows.length}>
      <figcaption>
        <strong>Why proposals were refused</strong>
        <span className="caption">Invalid proposals by the sandbox's reason (or "guessable", when that switch is on), over the whole run. They earn the proposer −1.</span>
      </figcaption>
      {rows.length === 0 ? <p className="empty">None refused yet.</p> : (
        <ul className="reasons">
          {rows.map(([r, n]) => (
            <li key={r} title={REASON_HELP[r] ?? r}>
              <span className="reason">{r}</span>
              <span className="reason-bar"><span style={{ width: `${(n / max) * 100}%` }} /></span>
              <span className="reason-n">{n}</span>
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}

/** One key for every chart: colour is the task type, a solid line the solver, a dashed one the proposer. */
function ChartKey() {
  return (
    <div className="chart-key" aria-label="Chart key">
      {TASK_TYPES.map((t) => (
        <span key={t}><span className="type-dot" style={{ background: TYPE_COLORS[t] }} /> {t}</span>
      ))}
      <span><span className="line solid" /> solver</span>
      <span><span className="line dashed" /> proposer</span>
      <span className="muted">Hover a chart for a step's values; ● solver, ◌ proposer.</span>
    </div>
  );
}

export function Charts() {
  return (
    <div className="charts">
      <ChartKey />
      {CHART_SECTIONS.map((section, i) => (
        <section key={section.title} className="chart-section" aria-label={section.title}>
          <h2>{section.title}</h2>
          <p className="panel-blurb">{section.blurb}</p>
          <div className="chart-grid">
            {section.charts.map((c) => <Chart key={c.id} spec={c} />)}
            {i === 1 && <InvalidReasons />}
            {i === 2 && <AdvantageHistogram />}
          </div>
        </section>
      ))}
    </div>
  );
}
