import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { decodeItem, encodeAttributeValue } from '../../core/codec.js';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { createKeyProvider } from '../../keys/createKeyProvider.js';
import { parsePath, valuesAt } from '../../pipeline/attributePath.js';
import { decryptValue, isCiphertext } from '../../pipeline/maskingCrypto.js';
import type { KeyProvider } from '../../pipeline/types.js';
import { createDynamoClients } from '../../replicator/clients.js';

/** Options of {@link runDecrypt}: a ciphertext, or a table item and the attribute paths to read. */
export interface DecryptOptions {
  readonly config: Config;
  /** The region whose key provider (and table) to use. */
  readonly region: string;
  /** A ciphertext (`dsenc1.…`) given on the command line. */
  readonly value?: string;
  /** Key of an item in the region's table, as DynamoDB JSON (`{"pk":{"S":"tk1_…"}}`). */
  readonly key?: string;
  /** Attribute paths of the item to decrypt. @default every top-level attribute holding a ciphertext */
  readonly attributes?: readonly string[];
  /** @default the provider the config's `keys` asks for */
  readonly keys?: KeyProvider;
  readonly clients?: Readonly<Record<string, DynamoDBClient>>;
  /** @default process.stdout */
  readonly print?: (line: string) => void;
}

const usage = (message: string): DynasyncError =>
  new DynasyncError(ErrorCodes.config.invalidField, `dynasync decrypt: ${message}`, {});

/**
 * `dynasync decrypt`: reads values made by the `encrypt` action back, with the configured key
 * provider (so it needs whatever that provider needs: the key file, or kms:Decrypt on the key).
 * Prints each clear value as DynamoDB JSON, one per line (`<path>\t<value>` for item attributes).
 * @example
 * await runDecrypt({ config, region: 'us-east-1', value: 'dsenc1.3f…' }); // {"S":"ada@example.com"}
 */
export const runDecrypt = async (options: DecryptOptions): Promise<void> => {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  if ((options.value === undefined) === (options.key === undefined))
    throw usage("give either a ciphertext argument or --key (an item of the region's table)");
  const ring = await (options.keys ?? createKeyProvider(options.config, options.region)).resolve();
  if (options.value !== undefined) {
    print(JSON.stringify(encodeAttributeValue(decryptValue(options.value.trim(), ring))));
    return;
  }
  const region = options.config.regions[options.region];
  if (region === undefined) throw usage(`region "${options.region}" is not in the config`);
  let key: unknown;
  try {
    key = JSON.parse(options.key!);
  } catch {
    throw usage('--key is not JSON; give DynamoDB JSON like {"pk":{"S":"tk1_..."}}');
  }
  const clients = options.clients ?? createDynamoClients(options.config);
  try {
    const out = await clients[options.region]!.send(
      new GetItemCommand({
        TableName: region.table,
        Key: decodeItem(key, 'key') as NonNullable<GetItemCommand['input']['Key']>,
        ConsistentRead: true,
      }),
    );
    if (out.Item === undefined) throw usage(`no item with that key in ${region.table} (${options.region})`);
    const item = decodeItem(out.Item, 'item');
    const paths =
      options.attributes ??
      Object.keys(item).filter((name) => {
        const value = item[name]!;
        return 'S' in value && isCiphertext(value.S);
      });
    for (const path of paths) {
      for (const value of valuesAt(item, parsePath(path))) {
        if (!('S' in value) || !isCiphertext(value.S)) continue;
        print(`${path}\t${JSON.stringify(encodeAttributeValue(decryptValue(value.S, ring)))}`);
      }
    }
  } finally {
    if (options.clients === undefined) for (const client of Object.values(clients)) client.destroy();
  }
};
