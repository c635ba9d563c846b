import { SQSClient } from '@aws-sdk/client-sqs';
import { accountCredentials } from '../../clients.js';
import { deadLetterPath, deadLetterQueueUrl } from '../../deadLetter/createDeadLetterSink.js';
import { FileDeadLetterSource } from '../FileDeadLetterSource.js';
import type { RedriveOptions } from '../redrive.js';
import { SqsDeadLetterSource } from '../SqsDeadLetterSource.js';
import type { DeadLetterSource } from '../types.js';
import { invalidOption } from './invalidOption.js';

/**
 * The dead-letter store a redrive reads: `options.source`, else the config's `deadLetter.type`.
 * @throws DynasyncError `redrive.invalidOption` for another kind, or `file` without a file sink.
 */
export const openSource = (options: RedriveOptions): DeadLetterSource => {
  const { config, region } = options;
  const kind: string = options.source ?? config.deadLetter.type;
  if (kind !== 'file' && kind !== 'sqs')
    throw invalidOption('source', `--source must be "file" or "sqs", not "${kind}"`);
  if (kind === 'file') {
    if (config.deadLetter.type !== 'file')
      throw invalidOption('source', '--source file needs deadLetter.type "file" in the config');
    return new FileDeadLetterSource(deadLetterPath(config, region));
  }
  const regionConfig = config.regions[region];
  const credentials = regionConfig === undefined ? undefined : accountCredentials(region, regionConfig);
  return new SqsDeadLetterSource({
    client:
      options.sqsClient ??
      new SQSClient({
        region: regionConfig?.awsRegion ?? region,
        ...(credentials === undefined ? {} : { credentials }),
      }),
    queueUrl: deadLetterQueueUrl(config, region),
  });
};
