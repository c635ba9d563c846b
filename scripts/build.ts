/**
 * `npm run build` (also run by `npm install` in this repository and by `npm pack`): compiles the
 * shipped folders into dist/ with tsconfig.build.json, then prebundles the replicator's Lambda
 * handler into dist/lambda/replicator/ so the `dynasync/cdk` constructs deploy it as it is, with no
 * TypeScript toolchain, esbuild or Docker on the consumer's machine.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import {
  PREBUNDLED_REPLICATOR_FILE,
  PREBUNDLED_REPLICATOR_PATH,
  replicatorBundleOptions,
} from '../infra/replicatorCode.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

// A clean output: nothing left over from an earlier build ends up in the package.
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

const outfile = join(dist, PREBUNDLED_REPLICATOR_PATH, PREBUNDLED_REPLICATOR_FILE);
await build(replicatorBundleOptions(join(root, 'replicator', 'handler.ts'), outfile));
// On stderr: `npm pack --json` runs this script and its stdout is the JSON.
process.stderr.write(
  `build: dist/ compiled, replicator prebundled into dist/${PREBUNDLED_REPLICATOR_PATH}/\n`,
);
