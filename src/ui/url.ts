// The page's URL ↔ setup: the config (through src/azr/config's one table), plus three lab-only keys:
// `preset` (a named starting point), `backend` and `from`. A bad value never blanks the page: it is
// refused with a message naming the key and its range, and the rest of the URL still applies.

import {
  CONFIG_URL_VERSION, PRESETS, checkConfig, configToQuery, parseConfigValue, presetConfig, type AzrConfig, type PresetName,
} from '../azr/config';
import { BACKEND_NAMES, type BackendChoice, type ModelStart } from '../trainer/protocol';

export interface UrlSetup {
  config: AzrConfig;
  backend: BackendChoice;
  start: ModelStart | null;
  errors: string[];
}

const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', ...BACKEND_NAMES];

export function setupFromUrl(search: string): UrlSetup {
  const params = new URLSearchParams(search);
  const errors: string[] = [];
  let base: PresetName = 'default';
  const preset = params.get('preset');
  if (preset !== null) {
    if (Object.prototype.hasOwnProperty.call(PRESETS, preset)) base = preset as PresetName;
    else errors.push(`preset must be one of ${Object.keys(PRESETS).join(', ')}, got "${preset}"`);
  }
  let backend: BackendChoice = 'auto';
  let start: ModelStart | null = null;
  const config = presetConfig(base) as unknown as Record<string, unknown>;
  for (const [key, value] of params) {
    if (key === 'preset') continue;
    if (key === 'v') {
      if (value !== String(CONFIG_URL_VERSION)) errors.push(`URL config version ${value} is not supported (this lab reads version ${CONFIG_URL_VERSION})`);
      continue;
    }
    if (key === 'backend') {
      if ((BACKEND_CHOICES as readonly string[]).includes(value)) backend = value as BackendChoice;
      else errors.push(`backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${value}"`);
      continue;
    }
    if (key === 'from') {
      if (value === 'base' || value === 'scratch') start = value;
      else errors.push(`from must be one of base, scratch, got "${value}"`);
      continue;
    }
    const parsed = parseConfigValue(key, value);
    if (parsed.ok) config[parsed.key] = parsed.value;
    else errors.push(parsed.message);
  }
  const checked = checkConfig(config);
  if (checked.ok) return { config: checked.config, backend, start, errors };
  errors.push(checked.message);
  return { config: presetConfig(base), backend, start, errors };
}

/** The URL query for a setup: non-default config values (versioned), then the lab-only keys. */
export function setupToQuery(config: AzrConfig, backend: BackendChoice, start: ModelStart | null): string {
  const params = new URLSearchParams(configToQuery(config));
  if (backend !== 'auto') params.set('backend', backend);
  if (start) params.set('from', start);
  const q = params.toString();
  return q ? `?${q}` : '';
}
