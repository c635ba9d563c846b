import type { Command } from 'commander';
import { loadConfigFile } from '../../core/config/loadConfig.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import {
  applyProfile,
  DEFAULT_CONFIG_FILE,
  type EndpointOverride,
  exitCodesHelp,
  positive,
  withEndpointOption,
  withEndpoints,
  withProfileOption,
} from '../_shared/cliOptions.js';
import { runStatus, statusRegions } from './runStatus.js';

/** The parsed options of `dynasync status`. */
export interface StatusCommandOptions {
  readonly config: string;
  readonly region?: string[];
  readonly functionName?: string[];
  /** Seconds. @default 60 */
  readonly maxLag: number;
  /** Seconds. @default 3 stats intervals of the poller, at least 30 */
  readonly staleAfter?: number;
  readonly json: boolean;
  readonly watch: boolean;
  /** Seconds between `--watch` rounds. @default 5 */
  readonly interval: number;
  /** `--endpoint-url <region>=<url>`: endpoint overrides for this run. @default none */
  readonly endpointUrl?: readonly EndpointOverride[];
}

/**
 * `--function-name` values: `region=name` pairs, or one bare name when one region is inspected.
 * @throws DynasyncError `config.invalidField` (exit 2) for a bare name with several regions, or an unknown region.
 */
export const parseFunctionNames = (
  values: readonly string[] | undefined,
  regions: readonly string[],
): Record<string, string> => {
  const names: Record<string, string> = {};
  for (const value of values ?? []) {
    const split = value.indexOf('=');
    if (split < 0) {
      if (regions.length !== 1) {
        throw badFunctionName(
          `--function-name ${value}: give "<region>=<function>" when several regions are inspected (${regions.join(', ')})`,
        );
      }
      names[regions[0]!] = value;
      continue;
    }
    const region = value.slice(0, split);
    const name = value.slice(split + 1);
    if (!regions.includes(region) || name === '') {
      throw badFunctionName(
        `--function-name ${value}: expected "<region>=<function>" with one of ${regions.join(', ')}`,
      );
    }
    names[region] = name;
  }
  return names;
};

const badFunctionName = (message: string): DynasyncError =>
  new DynasyncError(ErrorCodes.config.invalidField, message, { payload: { path: '--function-name' } });

/** Registers `dynasync status` on a commander program. */
export const addStatusCommand = (program: Command): void => {
  withProfileOption(withEndpointOption(program.command('status')))
    .description(
      'replication health per region and peer: lag from version times, totals, dead letters waiting, checkpoint and iterator age',
    )
    .addHelpText(
      'after',
      exitCodesHelp({
        0: 'healthy: every region and peer within --max-lag, no dead letters waiting, status files fresh',
        1: 'unhealthy: lag or iterator age over --max-lag, dead letters waiting, a poller stopped or its status file stale, corrupt or missing',
        2: 'usage, config or runtime error',
      }),
    )
    .option('-c, --config <file>', 'the dynasync config file (JSON)', DEFAULT_CONFIG_FILE)
    .option('-r, --region <name...>', 'source regions to inspect (default: every region that ships)')
    .option(
      '--function-name <name...>',
      'replicator Lambda per region ("<region>=<function>", or a bare name with one --region): read its IteratorAge',
    )
    .option('--max-lag <seconds>', 'largest healthy lag (and iterator age)', positive, 60)
    .option(
      '--stale-after <seconds>',
      'a status file older than this is stale (default: 3 stats intervals, ≥ 30 s)',
      positive,
    )
    .option('--json', 'print the report as JSON (one line per round with --watch)', false)
    .option('--watch', 'refresh until Ctrl-C', false)
    .option('--interval <seconds>', 'seconds between --watch rounds', positive, 5)
    .action(async (options: StatusCommandOptions & { readonly profile?: string }) => {
      applyProfile(options.profile);
      const config = withEndpoints('status', loadConfigFile(options.config), options.endpointUrl);
      const regions = statusRegions(config, options.region);
      process.exitCode = await runStatus({
        config,
        regions,
        functionNames: parseFunctionNames(options.functionName, regions),
        maxLagMs: options.maxLag * 1_000,
        ...(options.staleAfter === undefined ? {} : { staleAfterMs: options.staleAfter * 1_000 }),
        json: options.json,
        ...(options.watch ? { watchIntervalMs: options.interval * 1_000 } : {}),
      });
    });
};
