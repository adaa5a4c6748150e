export function App() {
  return (
    <main className="app">
      <header className="app-header">
        <h1>AZR Lab</h1>
        <p className="tagline">
          Absolute Zero self-play in your browser: one model proposes code-reasoning tasks, a sandboxed
          executor checks them, and the same model learns to solve them by reinforcement learning.
        </p>
      </header>
    </main>
  );
}
