import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseConfig } from '../../core/config/loadConfig.js';
import { stripJsonComments } from '../../core/config/stripJsonComments.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { exitCodesHelp } from '../_shared/cliOptions.js';
import { type InitOptions, planInit, renderConfig } from './renderConfig.js';

/** The options of `dynasync init`, with where to write. */
export interface InitCommandOptions extends InitOptions {
  /** @default "./dynasync.json" */
  readonly out?: string;
  /** Overwrite an existing file. @default false */
  readonly force?: boolean;
}

/**
 * `dynasync init`: writes a commented starter config (mode 0600). The text is parsed by the
 * config loader before it is written, so a bad region or table name fails here, naming the field,
 * and what is written always loads.
 * @returns the path written.
 * @throws DynasyncError `init.invalidOption`, `init.fileExists` (without `force`), `config.invalidField`.
 */
export const runInit = (options: InitCommandOptions): string => {
  const out = options.out ?? 'dynasync.json';
  const text = renderConfig(planInit(options));
  parseConfig(JSON.parse(stripJsonComments(text)), 'from the init options (--regions, --table, --name)');
  let fd: number;
  try {
    fd = openSync(out, options.force === true ? 'w' : 'wx', 0o600);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new DynasyncError(ErrorCodes.init.fileExists, `${out} exists; pass --force to overwrite it`, {
        payload: { path: out },
      });
    throw new DynasyncError(
      ErrorCodes.init.invalidOption,
      `cannot write ${out}: ${(cause as Error).message}`,
      { payload: { option: '--out' }, cause },
    );
  }
  try {
    // `mode` only applies to a new file; an overwritten one may have been readable by others.
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return resolve(out);
};

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Registers `dynasync init`. */
export const addInitCommand = (program: Command): void => {
  program
    .command('init')
    .description('write a commented starter config for a topology (refuses to overwrite without --force)')
    .addHelpText(
      'after',
      exitCodesHelp({
        0: 'the config was written',
        2: 'usage error, or the file exists (without --force)',
      }),
    )
    .requiredOption('--regions <a,b>', 'region names, comma-separated; one-way: the first is the source')
    .requiredOption('--table <name>', 'table name (suffixed -<region> where regions share an endpoint)')
    .option('--topology <type>', 'one-way or active-active', 'one-way')
    .option(
      '--endpoint-url <url>',
      'endpoint for every region, or REGION=URL per region (repeat), e.g. http://127.0.0.1:8000 for DynamoDB Local',
      collect,
      [],
    )
    .option('--partition-key <name:type>', 'partition key of the tables', 'pk:S')
    .option('--sort-key <name:type>', 'sort key of the tables (default: none)')
    .option('--name <name>', 'deployment name (metric and stack names)', 'dynasync')
    .option('-o, --out <file>', 'where to write the config', './dynasync.json')
    .option('--force', 'overwrite an existing file', false)
    .action((options: InitCommandOptions) => {
      const path = runInit(options);
      process.stdout.write(
        `wrote ${path}\nnext: dynasync tables create --config ${options.out ?? './dynasync.json'}\n`,
      );
    });
};
