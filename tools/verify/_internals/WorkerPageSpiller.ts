import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DynasyncError, type ErrorCode, type ErrorPayload } from '../../../core/errors.js';
import type { PageSpiller, PageSpillerOptions, SpillTotals } from './pageSpiller.js';
import type { SerializedError, SpillReply, SpillRequest } from './spillWorker.js';

const revive = (error: SerializedError): Error =>
  error.code === undefined
    ? Object.assign(new Error(error.message), { name: error.name })
    : new DynasyncError(error.code as ErrorCode, error.message, {
        payload: (error.payload ?? {}) as ErrorPayload,
      });

/**
 * Starts the spill worker: its compiled module (`.js`, as published), or, when running from the
 * TypeScript sources (tests, `tsx`), a bootstrap that registers tsx's loader in the worker first.
 */
const startWorker = (): Worker => {
  const compiled = new URL('./spillWorker.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled);
  const source = new URL('./spillWorker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(source)}); })`;
  return new Worker(bootstrap, { eval: true });
};

/**
 * A {@link PageSpiller} that parses, digests and spills in a worker thread: this thread only moves
 * each response body over (as text) and gets back the page's `LastEvaluatedKey` as
 * soon as the worker has parsed it, so the next request leaves while the worker digests.
 *
 * Why: parsing and digesting cost this process about 12 µs per item, enough to hold the event loop
 * while responses wait; the worker runs beside it on another core. Only for verify without a source
 * transform (the pipeline's functions cannot cross threads).
 */
export class WorkerPageSpiller implements PageSpiller {
  private readonly worker: Worker;
  private readonly waiting = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private nextId = 0;
  private failure: Error | undefined;

  /**
   * Starts the worker at once (its start-up, ~50 ms compiled and more through tsx, then overlaps the
   * tables' descriptions); pages are accepted after {@link open}.
   * @param options when given, opens it right away
   */
  public constructor(options?: PageSpillerOptions) {
    this.worker = startWorker();
    this.worker.on('message', (reply: SpillReply) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (reply.ok) waiter?.resolve(reply.value);
      else waiter?.reject(revive(reply.error));
    });
    this.worker.on('error', (error: Error) => this.fail(error));
    this.worker.on('exit', (code) => {
      if (this.waiting.size > 0) this.fail(new Error(`verify: the spill worker exited (code ${code})`));
    });
    if (options !== undefined) this.open(options);
  }

  /** Gives the worker its spill options; call once, before the first page. */
  public open(options: PageSpillerOptions): this {
    this.worker.postMessage({ type: 'open', options } satisfies SpillRequest);
    return this;
  }

  public page(side: 'source' | 'target', body: Uint8Array): Promise<Record<string, unknown>> {
    // Sent as text, not as a transferred buffer: a string lives on the worker's heap and its young
    // generation frees it within the next pages, while transferred buffers are external memory that
    // V8 only collects after tens of MB have piled up (peak RSS then grew with the table's size).
    const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    return this.request({ type: 'page', id: this.nextId++, side, body: text }, []) as Promise<
      Record<string, unknown>
    >;
  }

  public async close(): Promise<SpillTotals> {
    try {
      return (await this.request({ type: 'close', id: this.nextId++ }, [])) as SpillTotals;
    } finally {
      await this.worker.terminate();
    }
  }

  /** Stops the worker at once (after a failed or aborted scan); safe to call after close. */
  public async destroy(): Promise<void> {
    this.fail(new Error('verify: the spiller was stopped'));
    await this.worker.terminate();
  }

  private request(
    message: Exclude<SpillRequest, { readonly type: 'open' }>,
    transfer: ArrayBuffer[],
  ): Promise<unknown> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.set(message.id, { resolve, reject });
      this.worker.postMessage(message, transfer);
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
