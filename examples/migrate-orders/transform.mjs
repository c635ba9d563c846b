// The model transform of examples/migrate-orders: a flat legacy order (one item, line items as a
// list) becomes a single-table design: one ORDER item and one ITEM#nnn item per line, under the
// partition ORDER#<id>. Items are DynamoDB AttributeValue maps; numbers stay strings (never JS numbers).
//
// legacy  { orderId, customer, status, placedAt, lines: [{ sku, qty, price }, …] }
// new     { pk: "ORDER#<orderId>", sk: "ORDER",       customer, customerKey, status, createdAt, lineCount }
//         { pk: "ORDER#<orderId>", sk: "ITEM#001",    sku, qty, price }   (one per line, in order)
//
// Renamed: placedAt → createdAt. Derived: customerKey = "CUSTOMER#<customer>", lineCount.

const S = (value) => ({ S: value });
const N = (value) => ({ N: value });

/**
 * One legacy order → its items in the new model.
 * @param {Record<string, any>} order a legacy item (AttributeValue map)
 * @returns {Record<string, any>[]}
 */
export function transform(order) {
  const id = order.orderId.S;
  const pk = S(`ORDER#${id}`);
  const lines = order.lines?.L ?? [];
  const head = {
    pk,
    sk: S('ORDER'),
    customer: order.customer,
    customerKey: S(`CUSTOMER#${order.customer.S}`),
    status: order.status,
    lineCount: N(String(lines.length)),
  };
  if (order.placedAt !== undefined) head.createdAt = order.placedAt;
  const items = lines.map((line, index) => ({
    pk,
    sk: S(`ITEM#${String(index + 1).padStart(3, '0')}`),
    sku: line.M.sku,
    qty: line.M.qty,
    price: line.M.price,
  }));
  return [head, ...items];
}

/**
 * The legacy key an item of the new model came from (lets verify re-read it at the source).
 * @param {Record<string, any>} key { pk, sk }
 */
export function sourceKeyOf(key) {
  const match = /^ORDER#(.+)$/.exec(key.pk?.S ?? '');
  return match === null ? undefined : { orderId: S(match[1]) };
}
