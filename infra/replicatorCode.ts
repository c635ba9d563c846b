import { execSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerImage, type ILocalBundling } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import { bundleCommands, type UserModule } from './userModules.js';

/*
 * Where the replicator's code comes from:
 *
 *   installed package            node_modules/dynasync/dist/infra/replicatorCode.js
 *                                node_modules/dynasync/dist/lambda/replicator/index.mjs   ◄─ prebundled by `npm run build`
 *                                → lambda.Code.fromAsset: no esbuild, no TypeScript, no Docker at synth
 *
 *   this repository (tsx)        infra/replicatorCode.ts
 *                                replicator/handler.ts                                   ◄─ bundled at synth
 *                                → NodejsFunction with the local esbuild, as before
 */

/** Gives an ES module bundle the `require()` its CommonJS dependencies call. */
export const REQUIRE_SHIM =
  "import { createRequire as __dsCreateRequire } from 'node:module'; const require = __dsCreateRequire(import.meta.url);";

/** The Node.js version the replicator's bundle targets (esbuild `target`), at synth and at build time alike. */
export const REPLICATOR_BUNDLE_TARGET = 'node24';

/** Folder of the prebundled replicator, relative to the build's output root (`dist/`). */
export const PREBUNDLED_REPLICATOR_PATH = join('lambda', 'replicator');

/** The prebundled replicator's file: Lambda's handler is `index.handler`. */
export const PREBUNDLED_REPLICATOR_FILE = 'index.mjs';

/**
 * The esbuild options of the replicator's bundle, as plain data (esbuild is not a runtime
 * dependency): a minified ES module with a source map, every dependency (the AWS SDK too) inside,
 * and the `require()` shim. `npm run build` uses them; the repository's synth-time bundling
 * (NodejsFunction) sets the same.
 */
export const replicatorBundleOptions = (entry: string, outfile: string) => ({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node' as const,
  format: 'esm' as const,
  target: REPLICATOR_BUNDLE_TARGET,
  minify: true,
  sourcemap: true,
  // Stack traces need the mappings only; the sources stay out of the package (a quarter of the size).
  sourcesContent: false,
  mainFields: ['module', 'main'],
  banner: { js: REQUIRE_SHIM },
  logLevel: 'warning' as const,
});

/** The output root this module was compiled into (`dist/`), or the repository root when run from source. */
const OUTPUT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The folder of the prebundled replicator shipped in the installed package (`dist/lambda/replicator`),
 * or `undefined` when there is none — in this repository, where infra/ runs from source and the
 * handler is bundled at synth.
 * @param outputRoot where to look @default the output root of this module
 * @param path the folder below it @default `lambda/replicator`
 */
export const prebundledReplicatorDir = (
  outputRoot: string = OUTPUT_ROOT,
  path: string = PREBUNDLED_REPLICATOR_PATH,
): string | undefined => {
  const dir = join(outputRoot, path);
  return existsSync(join(dir, PREBUNDLED_REPLICATOR_FILE)) ? dir : undefined;
};

/**
 * Local bundling of the prebundled replicator with the user modules a config names: copies the
 * bundle and bundles each module next to it. Its fields are part of the CDK's asset cache key, so
 * two regions with different modules get different assets.
 */
class WithUserModules implements ILocalBundling {
  public readonly modules: readonly { field: string; source: string; bundled: string }[];

  public constructor(
    public readonly dir: string,
    private readonly userModules: readonly UserModule[],
  ) {
    this.modules = userModules.map(({ field, source, bundled }) => ({ field, source, bundled }));
  }

  public tryBundle(outputDir: string): boolean {
    for (const file of readdirSync(this.dir)) copyFileSync(join(this.dir, file), join(outputDir, file));
    let commands: string[];
    try {
      commands = bundleCommands(this.userModules, outputDir, REQUIRE_SHIM);
    } catch (error) {
      const field = this.userModules[0]?.field ?? 'conflict.module';
      throw new DynasyncError(
        ErrorCodes.config.invalidField,
        `${field}: bundling the module into the replicator needs esbuild: npm install --save-dev esbuild`,
        { payload: { path: field }, cause: error },
      );
    }
    for (const command of commands) execSync(command, { stdio: 'inherit' });
    return true;
  }
}

/**
 * The code of a replicator function from a prebundled folder: the folder as it is, or — when the
 * config names merge or map modules — the folder plus those modules bundled with esbuild (an optional
 * peer dependency, needed only then). Never Docker.
 */
export const prebundledReplicatorCode = (dir: string, userModules: readonly UserModule[]): lambda.Code =>
  userModules.length === 0
    ? lambda.Code.fromAsset(dir)
    : lambda.Code.fromAsset(dir, {
        bundling: {
          // Never pulled: local bundling always succeeds or throws.
          image: DockerImage.fromRegistry('dynasync-bundles-locally'),
          local: new WithUserModules(dir, userModules),
        },
      });

/**
 * The `NodejsFunction` bundling every dynasync function shares when bundled at synth (the replicator
 * and the scale-out worker): one ES module for Node 24, minified with a source map, the AWS SDK
 * bundled in, with the `require` shim CommonJS dependencies need, never in Docker.
 */
export const ESM_FUNCTION_BUNDLING = {
  format: nodejs.OutputFormat.ESM,
  target: REPLICATOR_BUNDLE_TARGET,
  minify: true,
  sourceMap: true,
  mainFields: ['module', 'main'],
  // CommonJS dependencies (the AWS SDK) call require(); an ES module bundle has none of its own.
  banner: REQUIRE_SHIM,
  bundleAwsSDK: true,
  externalModules: [],
  forceDockerBundling: false,
} as const satisfies nodejs.BundlingOptions;
