import { memo, useCallback, useDeferredValue, useEffect, useRef, useState, type UIEvent } from 'react';
import type { BufferedTask, InductionTask, Triplet } from '../../azr/buffers';
import { TASK_TYPES, type TaskType } from '../../azr/config';
import { TYPE_COLORS } from '../charts/specs';
import { useLabContext, useLabState } from '../context';
import { useFrameLag } from '../frames';
import { Code } from './Code';

/**
 * The table is windowed: it mounts only the rows in its scroll view (plus OVERSCAN either side) and stands
 * the rest in with two spacer rows. A row is dozens of highlighted-code elements, and with 100 rows mounted
 * the table was three quarters of the page's DOM; every landing step shifts the rows down, so Chromium
 * re-laid out and repainted all of them, a main-thread long task several times a second with the tiny
 * preset (bench/page.ts). Rows have one fixed height (cells never wrap), so the window is arithmetic.
 */
const ROW_HEIGHT = 26;
/** The scroll view's greatest height (`.table-scroll`'s max-height, set here). */
const VIEW_HEIGHT = 380;
const OVERSCAN = 8;

/**
 * Rows a data change may mount per animation frame. The seeding phase lands its tasks all at once, and
 * mounting a whole window of rows (≈ 800 elements) in the frame it arrives was a 65–82 ms main-thread task
 * in 3 of 14 page runs (bench/page.ts, default config); rows the person scrolled or searched to are
 * mounted at once.
 */
const NEW_ROWS_PER_FRAME = 6;

/**
 * Which of the rows in view to mount now: those mounted in the last render stay, and at most `limit` new
 * ones join them, from the top down. The rest wait as empty rows of the same height for later frames.
 */
export function pacedRows(inView: readonly number[], mounted: ReadonlySet<number>, limit: number): Set<number> {
  const now = new Set<number>();
  let left = limit;
  for (const id of inView) {
    if (mounted.has(id)) now.add(id);
    else if (left > 0) {
      now.add(id);
      left--;
    }
  }
  return now;
}

/** Rows [first, last) of `total` that a view scrolled to `scrollTop` shows, with OVERSCAN either side. */
export function rowWindow(scrollTop: number, total: number): { first: number; last: number } {
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(total, Math.ceil((scrollTop + VIEW_HEIGHT) / ROW_HEIGHT) + OVERSCAN);
  return { first, last: Math.max(first, last) };
}

const BLURB: Record<TaskType, string> = {
  deduction: 'program + input → the solver predicts the output',
  abduction: 'program + output → the solver finds an input',
  induction: 'some input/output pairs + a message → the solver writes the program',
};

export function taskText(t: BufferedTask): string {
  if (t.type === 'induction') {
    const task = t.task as InductionTask;
    return `${task.program}\n${task.message}\n${task.pairs.map((p) => `${p.input} ${p.output}`).join('\n')}`;
  }
  const task = t.task as Triplet;
  return `${task.program}\n${task.input}\n${task.output}`;
}

export function sourceLabel(t: BufferedTask): string {
  return t.source === 'seed' ? 'seed' : t.source === 'seeding' ? 'seeding' : `step ${t.step}`;
}

/** One row; a task's object changes only when its counters do, so unchanged rows are not redrawn. */
const TaskRow = memo(function TaskRow({ t, open }: { t: BufferedTask; open: (id: number) => void }) {
  return (
    <tr style={{ height: ROW_HEIGHT }} onClick={() => open(t.id)} tabIndex={0} onKeyDown={(e) => { if (e.key === 'Enter') open(t.id); }} data-testid="task-row">
      <td>{t.id}</td>
      <td>{sourceLabel(t)}</td>
      <td className="cell-code"><Code text={t.task.program.replace(/\s+/g, ' ')} inline /></td>
      <td className="cell-code">
        {t.type === 'induction'
          ? <>{(t.task as InductionTask).message} · {(t.task as InductionTask).pairs.length} pairs</>
          : <><Code text={(t.task as Triplet).input} inline /> → <Code text={(t.task as Triplet).output} inline /></>}
      </td>
      <td>
        <span className="solved">{t.solved}/{t.attempts}</span>
        <span className="solved-bar"><span style={{ width: `${t.attempts ? (t.solved / t.attempts) * 100 : 0}%` }} /></span>
      </td>
    </tr>
  );
});

/**
 * Frames the table waits after a step lands, so its new rows are laid out after the feed's first item
 * (1 frame) and the charts' first draws (2), not in the landing frame (src/ui/frames.ts).
 */
const BUFFERS_LAG_FRAMES = 3;

/** The three task buffers, newest first, searchable; a row opens the inspector. */
export function Buffers() {
  const tasksVersion = useFrameLag(useLabState((s) => s.tasksVersion), BUFFERS_LAG_FRAMES);
  const metricsVersion = useFrameLag(useLabState((s) => s.metricsVersion), BUFFERS_LAG_FRAMES);
  return <BuffersView tasksVersion={tasksVersion} metricsVersion={metricsVersion} />;
}

/** The table as of the (lagged) versions: it re-renders only when they change. */
const BuffersView = memo(function BuffersView(_versions: { tasksVersion: number; metricsVersion: number }) {
  const { store } = useLabContext();
  const { tasks, metrics } = store.getState();
  const [type, setType] = useState<TaskType>('deduction');
  const [query, setQuery] = useState('');
  const q = useDeferredValue(query.trim().toLowerCase());
  const [scrollTop, setScrollTop] = useState(0);
  const onScroll = useCallback((e: UIEvent<HTMLDivElement>) => setScrollTop(e.currentTarget.scrollTop), []);
  // The scroll view is unmounted while no row matches (an empty buffer, a search with no hit) and comes
  // back scrolled to the top: the window follows it, not the offset it had before.
  const scroller = useRef<HTMLDivElement | null>(null);
  const attachScroller = useCallback((el: HTMLDivElement | null) => {
    scroller.current = el;
    if (el) setScrollTop(el.scrollTop);
  }, []);
  // Another tab or search shows its newest tasks first.
  useEffect(() => {
    if (scroller.current) scroller.current.scrollTop = 0;
    setScrollTop(0);
  }, [type, q]);
  const open = useCallback((id: number) => store.setState({ selectedTask: id }), [store]);
  const all = [...tasks.values()];
  const counts = Object.fromEntries(TASK_TYPES.map((t) => [t, all.filter((x) => x.type === t).length])) as Record<TaskType, number>;
  const duplicates = metrics.reduce((n, m) => n + m.proposals[type].duplicates, 0);
  const rows = all.filter((t) => t.type === type && (!q || taskText(t).toLowerCase().includes(q))).sort((a, b) => b.id - a.id);
  const { first, last } = rowWindow(scrollTop, rows.length);
  const inView = rows.slice(first, last);
  // Rows that came with the trainer's data are paced; what the person moved to (tab, search, scroll) shows whole.
  const mounted = useRef<ReadonlySet<number>>(new Set());
  const lastView = useRef({ type, q, scrollTop });
  const personMoved = lastView.current.type !== type || lastView.current.q !== q || lastView.current.scrollTop !== scrollTop;
  const ids = inView.map((t) => t.id);
  const shown = personMoved ? new Set(ids) : pacedRows(ids, mounted.current, NEW_ROWS_PER_FRAME);
  const waiting = shown.size < ids.length;
  const [, setFrame] = useState(0);
  useEffect(() => {
    mounted.current = shown;
    lastView.current = { type, q, scrollTop };
    if (!waiting) return;
    const id = requestAnimationFrame(() => setFrame((f) => f + 1));
    return () => cancelAnimationFrame(id);
  });
  return (
    <section className="panel buffers" aria-label="Task buffers" data-testid="buffers">
      <div className="buffers-head">
        <h2>Task buffers</h2>
        <div className="tabs" role="tablist">
          {TASK_TYPES.map((t) => (
            <button key={t} role="tab" aria-selected={t === type} className={t === type ? 'tab active' : 'tab'} onClick={() => setType(t)} data-testid={`tab-${t}`}>
              <span className="type-dot" style={{ background: TYPE_COLORS[t] }} /> {t} <span className="count">{counts[t]}</span>
            </button>
          ))}
        </div>
        <input type="search" placeholder="Search programs, inputs, outputs…" value={query} onChange={(e) => setQuery(e.target.value)} aria-label="Search tasks" data-testid="buffer-search" />
      </div>
      <p className="panel-blurb">
        {type}: {BLURB[type]}. Newest first; click a row for the whole task and every attempt.
        {duplicates > 0 && <> {duplicates} exact duplicate{duplicates > 1 ? 's' : ''} of tasks already here {duplicates > 1 ? 'were' : 'was'} not added again.</>}
      </p>
      {rows.length === 0 ? <p className="empty">{counts[type] ? 'No task matches the search.' : 'Empty: valid proposals land here.'}</p> : (
        <div className="table-scroll" style={{ maxHeight: VIEW_HEIGHT }} onScroll={onScroll} ref={attachScroller} data-testid="table-scroll">
        <table className="task-table" data-testid={`table-${type}`}>
          <thead>
            <tr><th>#</th><th>proposed</th><th>program</th><th>{type === 'induction' ? 'message · pairs' : 'input → output'}</th><th title="solved / attempts, over the run">solved</th></tr>
          </thead>
          <tbody>
            {first > 0 && <tr aria-hidden="true" className="spacer" style={{ height: first * ROW_HEIGHT }} />}
            {inView.map((t) => (shown.has(t.id)
              ? <TaskRow key={t.id} t={t} open={open} />
              : <tr key={t.id} aria-hidden="true" className="spacer" style={{ height: ROW_HEIGHT }} />))}
            {last < rows.length && <tr aria-hidden="true" className="spacer" style={{ height: (rows.length - last) * ROW_HEIGHT }} />}
          </tbody>
        </table>
        </div>
      )}
      {q && rows.length > 0 && <p className="muted" data-testid="search-matches">{rows.length} of {counts[type]} match.</p>}
    </section>
  );
});
