import { useRef } from 'react';
import { useLabContext, useLabState } from '../context';
import { parseRunFile } from '../runfile';
import { viewRun } from '../store/lab';

/** Export the live run (config, metrics, buffers) as a JSON file; import one to look at it. */
export function RunFile() {
  const { store, client } = useLabContext();
  const mode = useLabState((s) => s.mode);
  const runId = useLabState((s) => s.runId);
  const file = useRef<HTMLInputElement>(null);

  const exportRun = async () => {
    try {
      const run = await client.exportRun();
      const url = URL.createObjectURL(new Blob([JSON.stringify(run)], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `azr-lab-${run.runId}-step${run.metrics.at(-1)?.step ?? 0}.json`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) {
      store.setState({ error: `Export failed: ${e instanceof Error ? e.message : String(e)}` });
    }
  };

  const importRun = async (f: File) => {
    const parsed = parseRunFile(await f.text());
    if (parsed.ok) { client.pause(); viewRun(store, parsed.run, f.name); }
    else store.setState({ error: `Import refused: ${parsed.message}` });
  };

  return (
    <div className="run-file">
      <button onClick={exportRun} disabled={mode !== 'live' || !runId} data-testid="export" title="Download this run's config, metrics and buffers as JSON">⤓ Export run</button>
      <button onClick={() => file.current?.click()} data-testid="import" title="Open an exported run to look at it">⤒ Import run</button>
      <input ref={file} type="file" accept="application/json,.json" hidden data-testid="import-file"
        onChange={(e) => { const f = e.target.files?.[0]; if (f) void importRun(f); e.target.value = ''; }} />
    </div>
  );
}
