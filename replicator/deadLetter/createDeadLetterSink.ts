import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { deadLetterSqsClient } from '../_internals/deadLetterSqsClient.js';
import { FileDeadLetterSink } from './FileDeadLetterSink.js';
import { SqsDeadLetterSink } from './SqsDeadLetterSink.js';
import type { DeadLetter, DeadLetterSink } from './types.js';

/** Environment variable with the dead-letter queue URL of a Lambda (set by the CDK app); wins over the config. */
export const DLQ_URL_ENV = 'DYNASYNC_DLQ_URL';

/** The JSON-lines file of a region's dead letters (`deadLetter.type: "file"`). */
export const deadLetterPath = (config: Config, region: string): string => {
  if (config.deadLetter.type !== 'file') {
    throw new Error(`deadLetterPath: deadLetter.type is "${config.deadLetter.type}", not "file"`);
  }
  return join(config.deadLetter.dir, `dead-letter-${region}.jsonl`);
};

/**
 * The queue URL of a region's dead letters (`deadLetter.type: "sqs"`).
 * @throws DynasyncError `config.invalidField` (path `deadLetter.queues.<region>`) when none is configured.
 */
export const deadLetterQueueUrl = (
  config: Config,
  region: string,
  env: NodeJS.ProcessEnv = process.env,
): string => {
  if (config.deadLetter.type !== 'sqs')
    throw new Error(`deadLetterQueueUrl: deadLetter.type is "${config.deadLetter.type}", not "sqs"`);
  const url = env[DLQ_URL_ENV] || config.deadLetter.queues[region];
  if (url === undefined) {
    throw new DynasyncError(
      ErrorCodes.config.invalidField,
      `deadLetter.queues.${region}: no dead-letter queue for region ${region}; add its URL to deadLetter.queues or set ${DLQ_URL_ENV}`,
      { payload: { path: `deadLetter.queues.${region}` } },
    );
  }
  return url;
};

/** Options of {@link createDeadLetterSink}. */
export interface DeadLetterSinkSetup {
  readonly config: Config;
  readonly region: string;
  /** @default a client for the region's AWS region */
  readonly sqsClient?: SQSClient;
  /** Called for every letter whose record did not fit into a queue message. */
  readonly onOversize?: (letter: DeadLetter) => void;
}

/** The dead-letter sink the config asks for: a JSON-lines file, or an SQS queue. */
export const createDeadLetterSink = (setup: DeadLetterSinkSetup): DeadLetterSink => {
  const { config, region } = setup;
  const settings = config.deadLetter;
  if (settings.type === 'file') return new FileDeadLetterSink(deadLetterPath(config, region));
  return new SqsDeadLetterSink({
    client: deadLetterSqsClient(config, region, setup.sqsClient),
    queueUrl: deadLetterQueueUrl(config, region),
    maxMessageBytes: settings.maxMessageBytes,
    ...(settings.overflowDir === undefined
      ? {}
      : { overflow: new FileDeadLetterSink(join(settings.overflowDir, `oversize-${region}.jsonl`)) }),
    ...(setup.onOversize === undefined ? {} : { onOversize: setup.onOversize }),
  });
};
