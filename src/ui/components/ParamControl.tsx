import { CONFIG_SPECS, describeRange, type AzrConfig, type ConfigKey, type ParamSpec } from '../../azr/config';
import { useLabContext, useLabState } from '../context';

/** A slider step that lands on round values: the power of ten just under a hundredth of the range. */
function niceStep(min: number, max: number): number {
  return 10 ** Math.floor(Math.log10((max - min) / 100));
}

function decimals(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step)));
}

function formatValue(spec: ParamSpec, v: AzrConfig[ConfigKey]): string {
  if (spec.kind === 'float') {
    const n = v as number;
    if (spec.scale === 'log') return n.toExponential(1).replace('e', '×10^').replace('+', '');
    return n.toFixed(decimals(niceStep(spec.min, spec.max)));
  }
  return String(v);
}

const LOG_STEPS = 100;

/** One control generated from the config table: a slider, a switch or a choice, with its help and range. */
export function ParamControl({ k }: { k: ConfigKey }) {
  const { client } = useLabContext();
  const spec = CONFIG_SPECS[k] as ParamSpec;
  const value = useLabState((s) => s.draft[k]);
  const active = useLabState((s) => (s.active ? s.active[k] : undefined));
  const waiting = useLabState((s) => s.pendingReset.includes(k));
  const viewing = useLabState((s) => s.mode === 'viewing');
  const set = (v: AzrConfig[ConfigKey]) => client.setConfig({ ...client.draft(), [k]: v });
  const id = `param-input-${k}`;

  let input;
  switch (spec.kind) {
    case 'bool':
      input = (
        <label className="switch">
          <input id={id} type="checkbox" role="switch" checked={value as boolean} disabled={viewing} onChange={(e) => set(e.target.checked)} data-testid={`input-${k}`} />
          <span className="slider-track" />
        </label>
      );
      break;
    case 'enum':
      input = (
        <select id={id} value={value as string} disabled={viewing} onChange={(e) => set(e.target.value as AzrConfig[ConfigKey])} data-testid={`input-${k}`}>
          {spec.options.map((o) => <option key={o} value={o}>{o}</option>)}
        </select>
      );
      break;
    case 'int':
    case 'float': {
      const n = value as number;
      if (spec.kind === 'int' && spec.max - spec.min > 1000) {
        input = (
          <input id={id} type="number" min={spec.min} max={spec.max} step={1} value={n} disabled={viewing} data-testid={`input-${k}`}
            onChange={(e) => { const v = Number(e.target.value); if (Number.isInteger(v) && v >= spec.min && v <= spec.max) set(v); }} />
        );
      } else if (spec.kind === 'float' && spec.scale === 'log') {
        const lo = Math.log10(spec.min);
        const hi = Math.log10(spec.max);
        const pos = Math.round(((Math.log10(n) - lo) / (hi - lo)) * LOG_STEPS);
        input = (
          <input id={id} type="range" min={0} max={LOG_STEPS} step={1} value={pos} disabled={viewing} data-testid={`input-${k}`}
            onChange={(e) => set(Number((10 ** (lo + (Number(e.target.value) / LOG_STEPS) * (hi - lo))).toPrecision(2)))} />
        );
      } else {
        const step = spec.kind === 'int' ? 1 : niceStep(spec.min, spec.max);
        input = (
          <input id={id} type="range" min={spec.min} max={spec.max} step={step} value={n} disabled={viewing} data-testid={`input-${k}`}
            onChange={(e) => set(spec.kind === 'int' ? Math.round(Number(e.target.value)) : Number(Number(e.target.value).toFixed(decimals(step))))} />
        );
      }
    }
  }

  const applied = active === undefined || active === value;
  return (
    <div className={`param${waiting ? ' waiting' : ''}`} data-testid={`param-${k}`} data-active-value={active === undefined ? '' : String(active)}>
      <div className="param-head">
        <label htmlFor={id}>{spec.label}</label>
        {(spec.kind === 'float' || (spec.kind === 'int' && spec.max - spec.min <= 1000)) && <output htmlFor={id}>{formatValue(spec, value)}</output>}
        <span
          className={`badge ${spec.takesEffect === 'reset' ? 'badge-reset' : 'badge-next'}`}
          title={spec.takesEffect === 'reset' ? 'Changing this starts a new run (press Reset)' : 'A change applies from the next step, no reset needed'}
        >
          {waiting ? 'press Reset' : spec.takesEffect === 'reset' ? 'needs reset' : applied ? 'next step' : 'applying…'}
        </span>
      </div>
      {input}
      <p className="help">{spec.help} <span className="range">Range: {describeRange(spec)}.</span></p>
    </div>
  );
}
