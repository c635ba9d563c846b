import { parentPort } from 'node:worker_threads';
import { createPageSpiller, type PageSpiller, type PageSpillerOptions, type Side } from './pageSpiller.js';

/** A request from {@link WorkerPageSpiller}. */
export type SpillRequest =
  | { readonly type: 'open'; readonly options: PageSpillerOptions }
  | { readonly type: 'page'; readonly id: number; readonly side: Side; readonly body: string }
  | { readonly type: 'close'; readonly id: number };

/** A reply: the page's document without `Items`, the totals on close, or the error. */
export type SpillReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };

/** An error as it crosses the thread boundary (a DynasyncError keeps its code and payload). */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly payload?: unknown;
}

const serialize = (error: unknown): SerializedError => {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const { code, payload } = error as Error & { code?: unknown; payload?: unknown };
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(payload === undefined ? {} : { payload }),
  };
};

const port = parentPort;
if (port !== null) {
  let spiller: PageSpiller | undefined;
  port.on('message', (request: SpillRequest) => {
    if (request.type === 'open') {
      spiller = createPageSpiller(request.options);
      return;
    }
    const work =
      spiller === undefined
        ? Promise.reject(new Error('verify: the spill worker got a page before its options'))
        : request.type === 'page'
          ? spiller.page(request.side, request.body)
          : spiller.close();
    work.then(
      (value) => port.postMessage({ id: request.id, ok: true, value } satisfies SpillReply),
      (error: unknown) =>
        port.postMessage({ id: request.id, ok: false, error: serialize(error) } satisfies SpillReply),
    );
  });
}
