import type { ScanCommand, ScanCommandInput, ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import type { DeserializeMiddleware, HandlerExecutionContext } from '@smithy/types';
import type { WireItem } from '../../../core/types.js';

/** Where the inner middleware leaves the page's items for the outer one. */
const RAW_ITEMS = Symbol('dynasync.rawScanItems');

type RawContext = HandlerExecutionContext & { [RAW_ITEMS]?: WireItem[] };

/** The HTTP response as the deserialize step sees it (structurally: no @smithy/protocol-http import). */
interface RawResponse {
  statusCode?: number;
  body?: unknown;
}

const collect = async (body: unknown): Promise<Buffer> => {
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks);
};

/**
 * Takes a successful response's `Items` out of the body before the SDK deserializes it, with one
 * native `JSON.parse`, and gives the SDK the rest (`LastEvaluatedKey`, `ConsumedCapacity`, counts).
 */
const takeItems: DeserializeMiddleware<ScanCommandInput, ScanCommandOutput> =
  (next, context) => async (args) => {
    const result = await next(args);
    const response = result.response as RawResponse;
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300 || response.body === undefined) return result;
    const body = await collect(response.body);
    const document = JSON.parse(body.toString('utf8')) as { Items?: unknown };
    if (Array.isArray(document.Items)) {
      (context as RawContext)[RAW_ITEMS] = document.Items as WireItem[];
      document.Items = undefined;
      response.body = Buffer.from(JSON.stringify(document));
    } else {
      response.body = body;
    }
    return result;
  };

/** Puts the items taken by {@link takeItems} back on the deserialized output, in wire form. */
const putItems: DeserializeMiddleware<ScanCommandInput, ScanCommandOutput> =
  (next, context) => async (args) => {
    const result = await next(args);
    const items = (context as RawContext)[RAW_ITEMS];
    if (items !== undefined) (result.output as { Items?: unknown }).Items = items;
    return result;
  };

/**
 * Makes a ScanCommand return its items in their JSON wire form (`{"S":…}`, `{"N":"…"}`, binary as
 * base64 text), exactly as DynamoDB sent them, parsed by one `JSON.parse` of the body.
 *
 * Why: the SDK's schema-driven deserializer walks every attribute of every item into new objects,
 * measured at about two thirds of the CPU a scan costs this process; verify only needs the values'
 * canonical text, which the wire form gives directly (binary already as base64). Signing, retries
 * and errors stay the SDK's: only a successful response's `Items` take the short way. The
 * middleware is added to this command only, never to a caller's client.
 */
export const withWireItems = (command: ScanCommand): ScanCommand => {
  command.middlewareStack.add(putItems, {
    step: 'deserialize',
    priority: 'high',
    name: 'dynasyncWireItemsOut',
  });
  command.middlewareStack.add(takeItems, {
    step: 'deserialize',
    priority: 'low',
    name: 'dynasyncWireItemsIn',
  });
  return command;
};
