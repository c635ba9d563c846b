import { encodeItem } from '../../core/codec.js';
import type { Item } from '../../core/types.js';
import { readExportItems } from './readExportItems.js';
import type { ExportManifest, ExportObjects } from './types.js';

/** Options of {@link forEachExportPage}. */
export interface ForEachExportPageOptions {
  /** Data files read at once. @default 4 */
  readonly concurrency?: number;
  /** @default 1000 */
  readonly pageSize?: number;
  readonly signal?: AbortSignal;
}

/**
 * Reads every data file of an export, `concurrency` files at a time, and hands each page of items
 * to `onPage` (awaited: a slow consumer slows the reading). Resolves with the number of items.
 * The first failure stops the other files.
 */
export const forEachExportPage = async (
  objects: ExportObjects,
  manifest: ExportManifest,
  onPage: (items: Item[]) => Promise<void>,
  options: ForEachExportPageOptions = {},
): Promise<number> => {
  const files = [...manifest.files];
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let items = 0;
  const readNext = async (): Promise<void> => {
    for (let file = files.shift(); file !== undefined; file = files.shift()) {
      const pages = readExportItems(objects, file, {
        signal: stop.signal,
        ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
      });
      for await (const page of pages) {
        items += page.length;
        await onPage(page);
      }
    }
  };
  try {
    const readers = Array.from({ length: Math.max(1, options.concurrency ?? 4) }, () =>
      readNext().catch((error: unknown) => {
        stop.abort(error);
        throw error;
      }),
    );
    const results = await Promise.allSettled(readers);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    return items;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
};

/** A page of items as a Scan response body (`{"Items": […]}` in DynamoDB JSON), for verify's spiller. */
export const scanBodyOf = (items: readonly Item[]): Uint8Array =>
  Buffer.from(JSON.stringify({ Items: items.map(encodeItem) }));
