import type { Item } from '../../../core/types.js';

/** A legacy order with `lines` line items. */
export const legacyOrder = (id: string, lines: number, status = 'open'): Item => ({
  orderId: { S: id },
  customer: { S: `c-${id}` },
  status: { S: status },
  placedAt: { S: '2026-11-23T04:00:00Z' },
  lines: {
    L: Array.from({ length: lines }, (_, n) => ({
      M: {
        sku: { S: `sku-${n}` },
        qty: { N: String(n + 1) },
        price: { N: '19.99000000000000000000000000000000001' },
      },
    })),
  },
});
