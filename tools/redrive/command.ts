import type { Command } from 'commander';
import { loadConfigFile } from '../../core/config/loadConfig.js';
import { type RedriveOptions, redrive, redriveExitCodeOf } from '../../replicator/redrive/redrive.js';
import {
  applyProfile,
  type ConfigAndAccountArgs,
  exitCodesHelp,
  regionOption,
  withConfigAndAccountOptions,
  withEndpoints,
} from '../_shared/cliOptions.js';

/**
 * What commander hands the `redrive` action: {@link RedriveOptions}' `source` and `dryRun`, with
 * `--region` still optional. `--source` is not checked by commander: {@link redrive} rejects a kind
 * other than file or sqs itself (`redrive.invalidOption`, exit 2).
 */
type RedriveCommandArgs = Pick<RedriveOptions, 'source'> &
  Required<Pick<RedriveOptions, 'dryRun'>> &
  ConfigAndAccountArgs & {
    readonly region?: string;
    readonly json: boolean;
  };

/**
 * Registers `dynasync redrive`: {@link redrive} of one region's dead letters; the action sets
 * `process.exitCode` from the report ({@link redriveExitCodeOf}).
 */
export const addRedriveCommand = (program: Command): Command =>
  withConfigAndAccountOptions(
    program
      .command('redrive')
      .description(
        "replay a region's dead letters through the current config; stale letters never overwrite newer data",
      ),
  )
    .option(
      '-r, --region <name>',
      'the source region whose dead letters to replay (default: the one-way source)',
    )
    .option('--source <kind>', "where the letters are: file or sqs (default: the config's deadLetter.type)")
    .option('--dry-run', 'only list what would happen', false)
    .option('--json', 'print the report as JSON', false)
    .addHelpText(
      'after',
      exitCodesHelp({
        0: 'every letter was replayed (or found stale)',
        1: 'letters are left: some failed again, or the store holds unreadable lines or Lambda on-failure batches',
        2: 'usage, config or runtime error',
      }),
    )
    .action(async (options: RedriveCommandArgs) => {
      applyProfile(options.profile);
      const config = withEndpoints('redrive', loadConfigFile(options.config), options.endpointUrl);
      const print = (line: string) => process.stdout.write(`${line}\n`);
      const report = await redrive({
        config,
        region: regionOption('redrive', config, options.region, 'source'),
        dryRun: options.dryRun,
        ...(options.source === undefined ? {} : { source: options.source }),
        ...(options.json ? {} : { print }),
      });
      if (options.json) print(JSON.stringify(report, null, 2));
      process.exitCode = redriveExitCodeOf(report);
    });
