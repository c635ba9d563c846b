import type { Command } from 'commander';
import { loadConfigFile } from '../../core/config/loadConfig.js';
import { LogFormats, type RunPollerOptions, runPoller } from '../../replicator/poller/runPoller.js';
import {
  applyProfile,
  type ConfigAndAccountArgs,
  exitCodesHelp,
  oneOf,
  positiveInt,
  regionOption,
  withConfigAndAccountOptions,
  withEndpoints,
} from '../_shared/cliOptions.js';

/** What commander hands the `run` action; `--log-format` is {@link RunPollerOptions}' `logFormat`. */
type RunCommandArgs = Pick<RunPollerOptions, 'logFormat'> &
  ConfigAndAccountArgs & {
    readonly region?: string;
    /** `--stats-interval`, in seconds (the poller takes milliseconds). */
    readonly statsInterval: number;
  };

/**
 * Registers `dynasync run`: {@link runPoller} for one region outside Lambda, until SIGINT/SIGTERM.
 * The poller handles the signals itself (graceful stop, exit 130 on a second signal).
 */
export const addRunCommand = (program: Command): Command =>
  withConfigAndAccountOptions(
    program
      .command('run')
      .description(
        "replicate one region's stream to its peers outside Lambda (a stream poller with checkpoints)",
      ),
  )
    .option('-r, --region <name>', 'the region whose stream to read (default: the one-way source)')
    .option('--stats-interval <seconds>', 'seconds between stats lines', positiveInt, 10)
    .option(
      '--log-format <format>',
      'pretty: a live line and a summary; json: JSON log lines (default: pretty on a terminal, else json)',
      oneOf([LogFormats.pretty, LogFormats.json]),
    )
    .addHelpText(
      'after',
      exitCodesHelp({
        0: 'stopped by SIGINT/SIGTERM after a graceful stop (batches finished, checkpoint saved)',
        2: 'usage or config error, tables that do not fit, an endpoint that does not answer (request timeout), a signal during start-up, a stream failure',
        130: 'a second signal while stopping: exited at once (batches in flight are read again on the next start)',
      }),
    )
    .action(async (options: RunCommandArgs) => {
      applyProfile(options.profile);
      const config = withEndpoints('run', loadConfigFile(options.config), options.endpointUrl);
      const region = regionOption('run', config, options.region, 'source');
      await runPoller({
        config,
        region,
        statsIntervalMs: options.statsInterval * 1_000,
        ...(options.logFormat === undefined ? {} : { logFormat: options.logFormat }),
      });
    });
