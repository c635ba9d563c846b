import type { ScanCommand, ScanCommandInput, ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import type { DeserializeMiddleware } from '@smithy/types';

/**
 * Takes a successful Scan response's body (JSON text), handles its `Items` and returns the rest of the
 * document (`LastEvaluatedKey`, `ConsumedCapacity`, `Count`, …) for the SDK to deserialize.
 */
export type ScanBodyHandler = (body: Uint8Array, page?: ScanPageInfo) => Promise<Record<string, unknown>>;

/** Where a page came from: its segment, and when its request was first sent (epoch ms, before retries). */
export interface ScanPageInfo {
  readonly segment: number;
  readonly requestedAtMs: number;
}

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
 * Makes a ScanCommand hand its response body to `handle` before the SDK deserializes it: the items
 * are handled there in their exact JSON wire form (`{"S":…}`, `{"N":"…"}`, binary as base64), and the
 * SDK only deserializes what `handle` returns (the output's `Items` stays empty).
 *
 * Why: the SDK's schema-driven deserializer walks every attribute of every item into new objects,
 * measured at about two thirds of the CPU a scan costs this process, while verify only needs the
 * values' canonical text, which the wire form gives directly. Signing, retries and errors stay the
 * SDK's: only a successful response's body takes the short way. The middleware is added to this
 * command only, never to a caller's client.
 */
export const withScanBodyHandler = (command: ScanCommand, handle: ScanBodyHandler): ScanCommand => {
  const middleware: DeserializeMiddleware<ScanCommandInput, ScanCommandOutput> = (next) => async (args) => {
    const result = await next(args);
    const response = result.response as RawResponse;
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300 || response.body === undefined) return result;
    const rest = await handle(await collect(response.body));
    response.body = Buffer.from(JSON.stringify(rest));
    return result;
  };
  command.middlewareStack.add(middleware, { step: 'deserialize', priority: 'low', name: 'dynasyncScanBody' });
  return command;
};

/** A body handler that parses each page with `JSON.parse` and keeps nothing (a benchmark baseline). */
export const countingBodyHandler: ScanBodyHandler = async (body) => {
  const { Items: _items, ...rest } = JSON.parse(
    Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'),
  ) as Record<string, unknown>;
  return rest;
};
