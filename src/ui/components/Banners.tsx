import { useLabContext, useLabState } from '../context';

/** Refused URL values, trainer errors, and the note that an imported run is on screen. */
export function Banners() {
  const { store, client } = useLabContext();
  const urlErrors = useLabState((s) => s.urlErrors);
  const error = useLabState((s) => s.error);
  const viewing = useLabState((s) => (s.mode === 'viewing' ? s.viewingName : null));
  return (
    <>
      {urlErrors.length > 0 && (
        <div className="banner banner-error" role="alert" data-testid="url-error">
          <b>Some settings in the link were refused</b>, and their defaults are used instead:
          <ul>{urlErrors.map((e) => <li key={e}>{e}</li>)}</ul>
          <button className="link" onClick={() => store.setState({ urlErrors: [] })}>dismiss</button>
        </div>
      )}
      {error && (
        <div className="banner banner-error" role="alert" data-testid="error">
          {error} <button className="link" onClick={() => store.setState({ error: null })}>dismiss</button>
        </div>
      )}
      {viewing !== null && (
        <div className="banner banner-info" data-testid="viewing">
          Viewing the imported run <b>{viewing}</b>. The controls are locked; <button className="link" onClick={() => client.reset()}>start a live run</button> to go back.
        </div>
      )}
    </>
  );
}
