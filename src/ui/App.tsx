import { Banners } from './components/Banners';
import { Buffers } from './components/Buffers';
import { Charts } from './components/Charts';
import { Controls } from './components/Controls';
import { Feed } from './components/Feed';
import { Incidents } from './components/Incidents';
import { Inspector } from './components/Inspector';
import { ParamPanel } from './components/ParamPanel';
import { Pipeline } from './components/Pipeline';
import { RunFile } from './components/RunFile';
import { SeedingBar } from './components/SeedingBar';
import { StatusBar } from './components/StatusBar';

/** One screen, TensorFlow Playground style: controls left, live pictures middle, details right and below. */
export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <div>
          <h1>AZR Lab</h1>
          <p className="tagline">
            Absolute Zero self-play in your browser: one small model <b>proposes</b> code-reasoning tasks, a sandboxed
            JavaScript executor <b>checks</b> them, and the same model learns to <b>solve</b> them by reinforcement
            learning — from a single seed task and no external data.
          </p>
        </div>
        <RunFile />
      </header>
      <Banners />
      <StatusBar />
      <Pipeline />
      <div className="columns">
        <aside className="left">
          <Controls />
          <ParamPanel />
        </aside>
        <main className="middle">
          <SeedingBar />
          <Charts />
        </main>
        <aside className="right">
          <Incidents />
          <Feed />
        </aside>
      </div>
      <Buffers />
      <Inspector />
    </div>
  );
}
