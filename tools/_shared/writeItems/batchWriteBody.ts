import type {
  BatchWriteItemCommand,
  BatchWriteItemCommandInput,
  BatchWriteItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import type { SerializeMiddleware } from '@smithy/types';

/**
 * The JSON text of a `BatchWriteItem` request of puts into one table, from items already in their
 * JSON wire form (`JSON.stringify(encodeItem(item))`): exactly what the SDK would serialize.
 * @example batchWriteBody('t', ['{"pk":{"S":"a"}}'], false)
 * // '{"RequestItems":{"t":[{"PutRequest":{"Item":{"pk":{"S":"a"}}}}]}}'
 */
export const batchWriteBody = (
  tableName: string,
  wireItems: readonly string[],
  returnConsumedCapacity: boolean,
): string => {
  let body = `{"RequestItems":{${JSON.stringify(tableName)}:[`;
  for (let i = 0; i < wireItems.length; i += 1)
    body += `${i === 0 ? '' : ','}{"PutRequest":{"Item":${wireItems[i]}}}`;
  return `${body}]}${returnConsumedCapacity ? ',"ReturnConsumedCapacity":"TOTAL"' : ''}}`;
};

/**
 * Makes a `BatchWriteItemCommand` send `body` (see {@link batchWriteBody}) in place of what the SDK
 * serializes from its input, which then only needs the table name (`RequestItems: { [table]: [] }`).
 *
 * Why: the SDK walks every attribute of every item of a request twice before sending it — its
 * schema-driven serializer, and the log filter that copies the input for the client's logger even
 * when that logger discards it (measured: most of the CPU this process spends per batch write, as
 * much as the scan, parsing and stamping of the same items together). Signing, content length,
 * retries and the response stay the SDK's: the body is swapped right after serialization. The
 * middleware is added to this command only, never to a caller's client; that client's logger sees
 * the request without its items.
 */
export const withBatchWriteBody = (command: BatchWriteItemCommand, body: string): BatchWriteItemCommand => {
  const middleware: SerializeMiddleware<BatchWriteItemCommandInput, BatchWriteItemCommandOutput> =
    (next) => async (args) => {
      (args.request as { body?: unknown }).body = body;
      return next(args);
    };
  command.middlewareStack.add(middleware, {
    step: 'serialize',
    priority: 'low',
    name: 'dynasyncBatchWriteBody',
  });
  return command;
};
