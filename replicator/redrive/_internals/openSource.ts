import { deadLetterSqsClient } from '../../_internals/deadLetterSqsClient.js';
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
  return new SqsDeadLetterSource({
    client: deadLetterSqsClient(config, region, options.sqsClient),
    queueUrl: deadLetterQueueUrl(config, region),
  });
};
