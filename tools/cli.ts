import { Command, InvalidArgumentError } from 'commander';
import { loadConfigFile } from '../core/config/loadConfig.js';
import { isDynasyncError } from '../core/errors.js';
import { runPoller } from '../replicator/poller/runPoller.js';
import { redrive, redriveExitCodeOf } from '../replicator/redrive/redrive.js';
import { exitTwoOnUsageError } from './_shared/cliOptions.js';
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

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const positiveInt = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new InvalidArgumentError('expected a positive whole number');
  return parsed;
};

const program = new Command()
  .name('dynasync')
  .description('Keep DynamoDB tables in several AWS regions in sync.')
  .showHelpAfterError();

program
  .command('run')
  .description("replicate one region's stream to its peers outside Lambda (a stream poller with checkpoints)")
  .requiredOption('-c, --config <file>', 'the dynasync config file (JSON)')
  .requiredOption('-r, --region <name>', 'the region whose stream to read (a key of "regions")')
  .option('--stats-interval <seconds>', 'seconds between stats lines', positiveInt, 10)
  .action(async (options: { config: string; region: string; statsInterval: number }) => {
    const config = loadConfigFile(options.config);
    await runPoller({ config, region: options.region, statsIntervalMs: options.statsInterval * 1_000 });
  });

exitTwoOnUsageError(program.command('redrive'))
  .description(
    "replay a region's dead letters through the current config; stale letters never overwrite newer data",
  )
  .requiredOption('-c, --config <file>', 'the dynasync config file (JSON)')
  .requiredOption('-r, --region <name>', 'the source region whose dead letters to replay')
  .option('--source <kind>', "where the letters are: file or sqs (default: the config's deadLetter.type)")
  .option('--dry-run', 'only list what would happen', false)
  .option('--json', 'print the report as JSON', false)
  .action(
    async (options: { config: string; region: string; source?: string; dryRun: boolean; json: boolean }) => {
      const config = loadConfigFile(options.config);
      const print = (line: string) => process.stdout.write(`${line}\n`);
      const report = await redrive({
        config,
        region: options.region,
        dryRun: options.dryRun,
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

program
  .command('decrypt')
  .description(
    "read back values masked with the 'encrypt' action, with the configured key provider (key file, or kms:Decrypt)",
  )
  .argument('[ciphertext]', 'a ciphertext (dsenc1.<key id>.<data>)')
  .requiredOption('-c, --config <file>', 'the dynasync config file (JSON)')
  .requiredOption('-r, --region <name>', 'the region whose keys (and, with --key, table) to use')
  .option('--key <json>', "read an item of the region's table instead: its key as DynamoDB JSON")
  .option(
    '--attribute <path...>',
    'attribute paths of that item to decrypt (default: every encrypted attribute)',
  )
  .action(
    async (
      ciphertext: string | undefined,
      options: { config: string; region: string; key?: string; attribute?: string[] },
    ) => {
      await runDecrypt({
        config: loadConfigFile(options.config),
        region: options.region,
        ...(ciphertext === undefined ? {} : { value: ciphertext }),
        ...(options.key === undefined ? {} : { key: options.key }),
        ...(options.attribute === undefined ? {} : { attributes: options.attribute }),
      });
    },
  );
addCheckMergeCommand(program);

program
  .command('tokenize')
  .description("print the token the 'tokenize' action gives a value, to look items up on a masked replica")
  .argument('<value>', 'the clear value: DynamoDB JSON like \'{"N":"42"}\', or a plain string')
  .requiredOption('-c, --config <file>', 'the dynasync config file (JSON)')
  .requiredOption('-r, --region <name>', 'the region whose keys to use (every region gives the same token)')
  .action(async (value: string, options: { config: string; region: string }) => {
    await runTokenize({ config: loadConfigFile(options.config), region: options.region, value });
  });

program
  .command('demo')
  .description(
    'run two local regions (DynamoDB Local) active-active under a mixed workload and prove they converge',
  )
  .option('--seconds <n>', 'how long the workload runs', positiveInt, 20)
  .option('--keys <n>', 'distinct keys written', positiveInt, 500)
  .option('--rate <n>', 'writes per second in each region', positiveInt, 100)
  .action(async (options: { seconds: number; keys: number; rate: number }) => {
    process.exitCode = await runDemo(options);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (isDynasyncError(error)) {
    process.stderr.write(`dynasync: ${error.message}\n(${error.code})\n`);
  } else {
    process.stderr.write(
      `dynasync: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exitCode = 2;
}
