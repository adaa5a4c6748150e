// Whether this build ships a base checkpoint, known when Vite builds the app: the glob is expanded at build
// time (its lazy module is never loaded), so the page never requests a file that isn't there.

const shipped = import.meta.glob('/public/checkpoints/base/manifest.json');

export const HAS_BASE_CHECKPOINT = Object.keys(shipped).length > 0;

/** Where the base checkpoint is served (public/ is served at the site's root). */
export const BASE_CHECKPOINT_URL = `${import.meta.env.BASE_URL}checkpoints/base/`;
