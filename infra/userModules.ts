import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { peersOf } from '../core/config/topology.js';
import type { Config } from '../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';

/** Where the Lambda runtime unpacks the function's code. */
export const LAMBDA_TASK_ROOT = '/var/task';

/** Folder of the bundled user modules inside the function's code. */
export const USER_MODULES_DIR = 'modules';

/** A module the config names (a merge or a map stage), to be bundled with the replicator. */
export interface UserModule {
  /** The config field that names it, e.g. `conflict.module` or `pipelines.us-east-1.stages[2].module`. */
  readonly field: string;
  /** Its file on the machine that synthesises (absolute). */
  readonly source: string;
  /** Its file in the function's code, relative to the code's root (`modules/…mjs`). */
  readonly bundled: string;
}

/**
 * The modules a region's replicator loads at run time: `conflict.module` under the merge strategy, and
 * the map stages of the pipelines of the region's peers. Paths are as the CLI resolves them:
 * `conflict.module` against the config file's folder (done when the file is loaded), a map stage's
 * against the working directory.
 * @throws DynasyncError `config.invalidField` naming the field when a module's file does not exist.
 */
export const userModulesOf = (config: Config, region: string): UserModule[] => {
  const modules: UserModule[] = [];
  const add = (field: string, path: string, name: string) => {
    const source = resolve(path);
    if (!existsSync(source))
      throw new DynasyncError(
        ErrorCodes.config.invalidField,
        `${field}: the module "${path}" (${source}) does not exist; the CDK app bundles it into the replicator, so it must be there when you synthesise`,
        { payload: { path: field } },
      );
    modules.push({ field, source, bundled: `${USER_MODULES_DIR}/${name}.mjs` });
  };
  if (config.conflict.strategy === 'merge' && config.conflict.module !== undefined)
    add('conflict.module', config.conflict.module, 'merge');
  for (const peer of peersOf(config, region)) {
    const stages = config.pipelines[peer]?.stages ?? [];
    stages.forEach((stage, index) => {
      if (stage.type === 'map')
        add(`pipelines.${peer}.stages[${index}].module`, stage.module, `map-${peer}-${stage.id}`);
    });
  }
  return modules;
};

/**
 * The config as the Lambda reads it: each bundled module's field points at its file in the function's
 * code (`/var/task/modules/…mjs`) instead of the synthesising machine's.
 */
export const withBundledModules = (config: Config, modules: readonly UserModule[]): Config => {
  const at = (field: string) => modules.find((module) => module.field === field);
  const inTask = (module: UserModule) => `${LAMBDA_TASK_ROOT}/${module.bundled}`;
  const merge = at('conflict.module');
  const pipelines = Object.fromEntries(
    Object.entries(config.pipelines).map(([peer, pipeline]) => [
      peer,
      {
        ...pipeline,
        stages: pipeline.stages.map((stage, index) => {
          const module = at(`pipelines.${peer}.stages[${index}].module`);
          return stage.type === 'map' && module !== undefined ? { ...stage, module: inTask(module) } : stage;
        }),
      },
    ]),
  );
  return {
    ...config,
    conflict:
      config.conflict.strategy === 'merge' && merge !== undefined
        ? { ...config.conflict, module: inTask(merge) }
        : config.conflict,
    pipelines,
  };
};

const shellQuote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;

/**
 * The shell commands that bundle each module with esbuild (the same local esbuild the CDK uses, no
 * Docker) into `outputDir`: one self-contained ES module each, with the `require()` shim CommonJS
 * dependencies need, as the replicator's own bundle has.
 */
export const bundleCommands = (
  modules: readonly UserModule[],
  outputDir: string,
  banner: string,
): string[] => {
  if (modules.length === 0) return [];
  // esbuild's JavaScript API finds its own binary, however the package was installed.
  const esbuild = createRequire(import.meta.url).resolve('esbuild');
  return modules.map((module) => {
    const options = {
      entryPoints: [module.source],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      logLevel: 'warning',
      banner: { js: banner },
      outfile: join(outputDir, module.bundled),
    };
    const script = `require(${JSON.stringify(esbuild)}).buildSync(${JSON.stringify(options)})`;
    return `${shellQuote(process.execPath)} -e ${shellQuote(script)}`;
  });
};
