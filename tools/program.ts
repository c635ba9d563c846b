import { Command, InvalidArgumentError } from 'commander';
import { loadConfigFile } from '../core/config/loadConfig.js';
import { type LogFormat, LogFormats, runPoller } from '../replicator/poller/runPoller.js';
import { redrive, redriveExitCodeOf } from '../replicator/redrive/redrive.js';
import {
  applyProfile,
  type EndpointOverride,
  exitCodesHelp,
  positiveInt,
  regionOption,
  withConfigOption,
  withEndpointOption,
  withEndpoints,
  withProfileOption,
} from './_shared/cliOptions.js';
import { packageVersion } from './_shared/packageVersion.js';
import { addBackfillCommand } from './backfill/command.js';
import { addCheckMergeCommand } from './checkMerge/command.js';
import { runDecrypt } from './decrypt.js';
import { runDemo } from './demo/runDemo.js';
import { addInitCommand } from './init/command.js';
import { addMigrateCommand } from './migrate/command.js';
import { addStatusCommand } from './status/command.js';
import { addTablesCommand } from './tables/command.js';
import { runTokenize } from './tokenize.js';
import { addVerifyCommand } from './verify/command.js';

/**
 * The `dynasync` program with every command. Parse errors throw CommanderErrors (`exitOverride`)
 * and print nothing: `tools/cli.ts` reports them (exit 2, one line and one hint).
 */
export const createProgram = (): Command => {
  const program = new Command()
    .name('dynasync')
    .description('Keep DynamoDB tables in several AWS regions in sync.')
    .version(packageVersion(), '-V, --version', 'print the version of dynasync')
    // Parse errors become CommanderErrors for the one handler in tools/cli.ts (exit 2, one hint, no help dump).
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .addHelpText(
      'after',
      `${exitCodesHelp({
        0: 'success (in sync)',
        1: 'the finding the command exists for (drift, items not written, letters left, a broken law)',
        2: 'usage, config or runtime error, or interrupted',
      })}\n\nCommands that read a config take --config (default ./dynasync.json) and, in a one-way topology, default\n--from/--to/--region from it; "dynasync <command> --help" lists its exit codes.`,
    );

  withEndpointOption(
    withProfileOption(
      withConfigOption(
        program
          .command('run')
          .description(
            "replicate one region's stream to its peers outside Lambda (a stream poller with checkpoints)",
          ),
      ),
    ),
  )
    .option('-r, --region <name>', 'the region whose stream to read (default: the one-way source)')
    .option('--stats-interval <seconds>', 'seconds between stats lines', positiveInt, 10)
    .option(
      '--log-format <format>',
      'pretty: a live line and a summary; json: JSON log lines (default: pretty on a terminal, else json)',
      (value: string) => {
        if (value !== LogFormats.pretty && value !== LogFormats.json)
          throw new InvalidArgumentError('expected "pretty" or "json"');
        return value;
      },
    )
    .addHelpText(
      'after',
      exitCodesHelp({
        0: 'stopped by SIGINT/SIGTERM after a graceful stop (batches finished, checkpoint saved)',
        2: 'usage or config error, tables that do not fit, an endpoint that does not answer (request timeout), a signal during start-up, a stream failure',
        130: 'a second signal while stopping: exited at once (batches in flight are read again on the next start)',
      }),
    )
    .action(
      async (options: {
        config: string;
        region?: string;
        statsInterval: number;
        logFormat?: LogFormat;
        profile?: string;
        endpointUrl?: EndpointOverride[];
      }) => {
        applyProfile(options.profile);
        const config = withEndpoints('run', loadConfigFile(options.config), options.endpointUrl);
        const region = regionOption('run', config, options.region, 'source');
        await runPoller({
          config,
          region,
          statsIntervalMs: options.statsInterval * 1_000,
          ...(options.logFormat === undefined ? {} : { logFormat: options.logFormat }),
        });
      },
    );

  withEndpointOption(
    withProfileOption(
      withConfigOption(
        program
          .command('redrive')
          .description(
            "replay a region's dead letters through the current config; stale letters never overwrite newer data",
          ),
      ),
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
    .action(
      async (options: {
        config: string;
        region?: string;
        source?: string;
        dryRun: boolean;
        json: boolean;
        profile?: string;
        endpointUrl?: EndpointOverride[];
      }) => {
        applyProfile(options.profile);
        const config = withEndpoints('redrive', loadConfigFile(options.config), options.endpointUrl);
        const print = (line: string) => process.stdout.write(`${line}\n`);
        const report = await redrive({
          config,
          region: regionOption('redrive', config, options.region, 'source'),
          dryRun: options.dryRun,
          // redrive() checks the kind itself (`redrive.invalidOption`, exit 2).
          ...(options.source === undefined ? {} : { source: options.source as 'file' | 'sqs' }),
          ...(options.json ? {} : { print }),
        });
        if (options.json) print(JSON.stringify(report, null, 2));
        process.exitCode = redriveExitCodeOf(report);
      },
    );

  addInitCommand(program);
  addTablesCommand(program);
  addVerifyCommand(program);
  addBackfillCommand(program);
  addMigrateCommand(program);
  addStatusCommand(program);

  withProfileOption(
    withConfigOption(
      program
        .command('decrypt')
        .description(
          "read back values masked with the 'encrypt' action, with the configured key provider (key file, or kms:Decrypt)",
        ),
    ),
  )
    .argument('[ciphertext]', 'a ciphertext (dsenc1.<key id>.<data>)')
    .option(
      '-r, --region <name>',
      'the region whose keys (and, with --key, table) to use (default: the only one-way replica)',
    )
    .option('--key <json>', "read an item of the region's table instead: its key as DynamoDB JSON")
    .option(
      '--attribute <path...>',
      'attribute paths of that item to decrypt (default: every encrypted attribute)',
    )
    .addHelpText('after', exitCodesHelp({ 0: 'decrypted', 2: 'usage, config, key or runtime error' }))
    .action(
      async (
        ciphertext: string | undefined,
        options: { config: string; region?: string; key?: string; attribute?: string[]; profile?: string },
      ) => {
        applyProfile(options.profile);
        const config = loadConfigFile(options.config);
        await runDecrypt({
          config,
          region: regionOption('decrypt', config, options.region, 'replica'),
          ...(ciphertext === undefined ? {} : { value: ciphertext }),
          ...(options.key === undefined ? {} : { key: options.key }),
          ...(options.attribute === undefined ? {} : { attributes: options.attribute }),
        });
      },
    );
  addCheckMergeCommand(program);

  withProfileOption(
    withConfigOption(
      program
        .command('tokenize')
        .description(
          "print the token the 'tokenize' action gives a value, to look items up on a masked replica",
        ),
    ),
  )
    .argument('<value>', 'the clear value: DynamoDB JSON like \'{"N":"42"}\', or a plain string')
    .option(
      '-r, --region <name>',
      'the region whose keys to use (every region gives the same token; default: the only one-way replica)',
    )
    .addHelpText('after', exitCodesHelp({ 0: 'printed the token', 2: 'usage, config, key or runtime error' }))
    .action(async (value: string, options: { config: string; region?: string; profile?: string }) => {
      applyProfile(options.profile);
      const config = loadConfigFile(options.config);
      await runTokenize({
        config,
        region: regionOption('tokenize', config, options.region, 'replica'),
        value,
      });
    });

  program
    .command('demo')
    .description(
      'run two local regions (DynamoDB Local) active-active under a mixed workload and prove they converge',
    )
    .option('--seconds <n>', 'how long the workload runs', positiveInt, 20)
    .option('--keys <n>', 'distinct keys written', positiveInt, 500)
    .option(
      '--rate <n>',
      'writes per second in each region (default: a quarter of the capacity measured during warm-up)',
      positiveInt,
    )
    .addHelpText(
      'after',
      exitCodesHelp({
        0: 'the regions converged and verify found no drift',
        1: 'they did not converge, or verify found drift',
        2: 'usage or runtime error (no Java for DynamoDB Local, …)',
      }),
    )
    .action(async (options: { seconds: number; keys: number; rate?: number }) => {
      process.exitCode = await runDemo(options);
    });
  return program;
};
