import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The version in dynasync's package.json, found from this module upwards: the same answer from the
 * sources (`tools/_shared/`, run by tsx) and from the build (`dist/tools/_shared/`).
 * @throws Error when no package.json named "dynasync" is above this module.
 */
export const packageVersion = (from: string = dirname(fileURLToPath(import.meta.url))): string => {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (manifest.name === 'dynasync' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // No (readable) package.json here: look further up.
    }
    if (dirname(dir) === dir) throw new Error(`no package.json of dynasync above ${from}`);
  }
};
