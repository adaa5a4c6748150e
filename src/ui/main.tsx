import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { TrainerClient } from './client';
import { LabContext } from './context';
import { createLabStore, initialState } from './store/lab';
import { setupFromUrl, setupToQuery } from './url';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

const url = setupFromUrl(location.search);
const store = createLabStore(initialState(url.config, url.backend, url.start ?? 'base', url.errors));
const client = new TrainerClient(store);

// The URL mirrors the controls (debounced: browsers throttle rapid history updates while a slider moves).
let urlTimer: ReturnType<typeof setTimeout> | undefined;
store.subscribe((s, prev) => {
  if (s.draft === prev.draft && s.backendChoice === prev.backendChoice && s.start === prev.start) return;
  clearTimeout(urlTimer);
  urlTimer = setTimeout(() => {
    const { draft, backendChoice, start } = store.getState();
    history.replaceState(null, '', `${location.pathname}${setupToQuery(draft, backendChoice, start === 'scratch' ? 'scratch' : null)}`);
  }, 300);
});

// For tests and the curious (devtools): the store and the trainer's test hooks.
Object.assign(window, { azrLab: { store, client } });

client.boot();
createRoot(root).render(
  <StrictMode>
    <LabContext.Provider value={{ store, client }}>
      <App />
    </LabContext.Provider>
  </StrictMode>,
);
