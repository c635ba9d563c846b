import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import { loadConfigFile } from '../../core/config/loadConfig.js';
import {
  applyProfile,
  type EndpointOverride,
  exitCodesHelp,
  positiveInt,
  usageError,
  withConfigAndAccountOptions,
  withEndpoints,
} from '../_shared/cliOptions.js';
import { withInterrupts } from '../_shared/progressBar.js';
import { FileJobStore } from '../scaleout/FileJobStore.js';
import type { JobStore } from '../scaleout/protocol.js';
import { S3JobStore } from '../scaleout/S3JobStore.js';
import { runSqsWorker, type SqsWorkerSummary } from '../scaleout/sqsWorker.js';
import { createJobRunner } from '../scaleout/workerRuntime.js';

/** The options of `dynasync worker`, as parsed. */
export interface WorkerCommandOptions {
  readonly config: string;
  /** The task queue (the `DynasyncScaleout` stack's `QueueUrl` output). */
  readonly queueUrl?: string;
  /** The job store: an S3 bucket (with an optional key prefix) or a local folder, exactly one. */
  readonly jobBucket?: string;
  readonly jobPrefix?: string;
  readonly jobDir?: string;
  /** One endpoint for SQS, Step Functions and S3 (moto, LocalStack). @default AWS's */
  readonly awsEndpointUrl?: string;
  readonly endpointUrl?: readonly EndpointOverride[];
  /** Stop after this many messages. @default until SIGINT/SIGTERM */
  readonly maxTasks?: number;
}

/** What the command may be given instead of creating it (tests). */
export interface WorkerCommandIo {
  readonly sqs?: SQSClient;
  readonly sfn?: SFNClient;
  readonly s3?: S3Client;
  readonly clients?: Readonly<Record<string, DynamoDBClient>>;
  readonly signal?: AbortSignal;
  /** The summary line. @default process.stderr */
  readonly print?: (text: string) => void;
  /** Long-poll seconds of each ReceiveMessage. @default 20 */
  readonly waitSeconds?: number;
}

const isHttpUrl = (value: string): boolean => /^https?:\/\/\S+$/.test(value) && URL.canParse(value);

/** The region of an SQS queue URL (`https://sqs.eu-west-1.amazonaws.com/…`), if it names one. */
export const regionOfQueueUrl = (queueUrl: string): string | undefined =>
  /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\//.exec(queueUrl)?.[1] ??
  /^https:\/\/([a-z0-9-]+)\.queue\.amazonaws\.com\//.exec(queueUrl)?.[1];

/**
 * Checks the flags that commander cannot: the queue URL, the one job store, the AWS endpoint.
 * @throws DynasyncError `cli.usage` naming the flag (exit code 2)
 */
export const validateWorkerOptions = (
  options: WorkerCommandOptions,
): { readonly queueUrl: string } & WorkerCommandOptions => {
  const { queueUrl } = options;
  if (queueUrl === undefined)
    throw usageError(
      'worker',
      "--queue-url is required (the DynasyncScaleout stack's QueueUrl output)",
      'queue-url',
    );
  if (!isHttpUrl(queueUrl))
    throw usageError('worker', `--queue-url must be an http(s) URL, not "${queueUrl}"`, 'queue-url');
  if ((options.jobBucket === undefined) === (options.jobDir === undefined))
    throw usageError(
      'worker',
      "give the job store as --job-bucket (the stack's JobBucket output) or --job-dir, exactly one",
      options.jobBucket === undefined ? 'job-bucket' : 'job-dir',
    );
  if (options.jobPrefix !== undefined && options.jobBucket === undefined)
    throw usageError('worker', '--job-prefix only applies to --job-bucket', 'job-prefix');
  if (options.awsEndpointUrl !== undefined && !isHttpUrl(options.awsEndpointUrl))
    throw usageError(
      'worker',
      `--aws-endpoint-url must be an http(s) URL, not "${options.awsEndpointUrl}"`,
      'aws-endpoint-url',
    );
  return { ...options, queueUrl };
};

/**
 * `dynasync worker`: polls the task queue and runs each task with the job runner of the config
 * (`createJobRunner`, as the worker Lambda does) until SIGINT/SIGTERM or `--max-tasks` messages;
 * a task stopped by a signal is left to another worker. Returns the exit code (0).
 * @throws DynasyncError `cli.usage` on bad flags, `config.*` on a bad config (exit code 2)
 */
export const runWorkerCommand = async (
  options: WorkerCommandOptions,
  io: WorkerCommandIo = {},
): Promise<number> => {
  const checked = validateWorkerOptions(options);
  const config = withEndpoints('worker', loadConfigFile(checked.config), checked.endpointUrl);
  const region = regionOfQueueUrl(checked.queueUrl);
  const aws = {
    ...(region === undefined ? {} : { region }),
    ...(checked.awsEndpointUrl === undefined ? {} : { endpoint: checked.awsEndpointUrl }),
  };
  const sqs = io.sqs ?? new SQSClient(aws);
  const sfn = io.sfn ?? new SFNClient(aws);
  // moto and LocalStack serve buckets by path, not by virtual host.
  const s3 =
    checked.jobBucket === undefined
      ? undefined
      : (io.s3 ??
        new S3Client({ ...aws, ...(checked.awsEndpointUrl === undefined ? {} : { forcePathStyle: true }) }));
  const store: JobStore =
    s3 !== undefined && checked.jobBucket !== undefined
      ? new S3JobStore({
          client: s3,
          bucket: checked.jobBucket,
          ...(checked.jobPrefix === undefined ? {} : { prefix: checked.jobPrefix }),
        })
      : new FileJobStore(checked.jobDir ?? '');
  const runner = createJobRunner({
    config,
    store,
    ...(io.clients === undefined ? {} : { clients: io.clients }),
  });
  const print = io.print ?? ((text: string) => process.stderr.write(`${text}\n`));
  let summary: SqsWorkerSummary;
  try {
    summary = await withInterrupts(io.signal, (interrupted) => {
      const enough = new AbortController();
      let handled = 0;
      return runSqsWorker({
        queueUrl: checked.queueUrl,
        runner,
        sqs,
        sfn,
        signal: AbortSignal.any([interrupted, enough.signal]),
        ...(io.waitSeconds === undefined ? {} : { waitSeconds: io.waitSeconds }),
        onMessage: () => {
          handled += 1;
          if (checked.maxTasks !== undefined && handled >= checked.maxTasks) enough.abort();
        },
      });
    });
  } finally {
    if (io.sqs === undefined) sqs.destroy();
    if (io.sfn === undefined) sfn.destroy();
    if (io.s3 === undefined) s3?.destroy();
  }
  print(
    `worker: stopped after ${summary.succeeded} succeeded, ${summary.failed} failed, ${summary.invalid} invalid, ${summary.tokenGone} expired task messages`,
  );
  return 0;
};

/**
 * Registers `dynasync worker` on the CLI program: a scale-out worker outside Lambda (EC2, ECS, a
 * laptop, tests). Errors propagate to the CLI's handler, which prints the code and exits with 2.
 */
export const addWorkerCommand = (program: Command): Command =>
  withConfigAndAccountOptions(
    program
      .command('worker')
      .description(
        'run scale-out tasks (verify/backfill --engine stepfunctions) from the task queue until SIGINT/SIGTERM, as the worker Lambda does',
      ),
  )
    .option('--queue-url <url>', "the task queue (the DynasyncScaleout stack's QueueUrl output)")
    .option('--job-bucket <name>', "the job store bucket (the stack's JobBucket output)")
    .option('--job-prefix <prefix>', 'with --job-bucket: prefix of the job store keys (default: none)')
    .option('--job-dir <dir>', 'a local job store folder instead of --job-bucket')
    .option('--aws-endpoint-url <url>', 'one endpoint for SQS, Step Functions and S3 (moto, LocalStack)')
    .option(
      '--max-tasks <n>',
      'stop after this many task messages (default: until SIGINT/SIGTERM)',
      positiveInt,
    )
    .addHelpText(
      'after',
      exitCodesHelp({
        0: 'stopped by SIGINT/SIGTERM or after --max-tasks (a task cut short is left to another worker)',
        2: 'usage or config error, the queue or Step Functions unreachable',
      }),
    )
    .action(async (options: WorkerCommandOptions & { readonly profile?: string }) => {
      applyProfile(options.profile);
      process.exitCode = await runWorkerCommand(options);
    });
