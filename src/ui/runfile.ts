// Reading an exported run back (RunExport of src/trainer/protocol.ts): the format is checked and the config
// goes through the engine's table, so a hand-edited file is refused with a message, never half-shown.

import { checkConfig } from '../azr/config';
import type { RunExport } from '../trainer/protocol';

export type ParsedRun = { ok: true; run: RunExport } | { ok: false; message: string };

export function parseRunFile(text: string): ParsedRun {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `not JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  const d = data as Partial<RunExport> | null;
  if (!d || typeof d !== 'object' || d.format !== 'azr-lab-run') return { ok: false, message: 'not an AZR Lab run file (format is not "azr-lab-run")' };
  if (d.version !== 1) return { ok: false, message: `run file version ${String(d.version)} is not supported (this lab reads version 1)` };
  if (!d.config || typeof d.config !== 'object') return { ok: false, message: 'the run file has no config' };
  const config = checkConfig({ ...d.config });
  if (!config.ok) return { ok: false, message: `the run file's config is refused: ${config.message}` };
  if (!Array.isArray(d.metrics) || !Array.isArray(d.tasks)) return { ok: false, message: 'the run file lacks metrics or tasks' };
  if (d.metrics.some((m) => typeof m?.step !== 'number' || !m.groups)) return { ok: false, message: 'the run file has a malformed metrics record' };
  if (d.tasks.some((t) => typeof t?.id !== 'number' || !t.task || typeof t.task.program !== 'string')) return { ok: false, message: 'the run file has a malformed task' };
  return {
    ok: true,
    run: {
      format: 'azr-lab-run', version: 1, runId: String(d.runId ?? 'imported'), exportedAt: String(d.exportedAt ?? ''), config: config.config,
      backend: d.backend ?? null, metrics: d.metrics, tasks: d.tasks.map((t) => ({ ...t, history: t.history ?? [] })),
      attempts: d.attempts ?? {}, incidents: Array.isArray(d.incidents) ? d.incidents : [],
    },
  };
}
