import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynasyncClient } from '../../client/DynasyncClient.js';
import { DynasyncMergeClient } from '../../client/DynasyncMergeClient.js';
import { ACCEPTED_PROTOCOL_VERSIONS, PROTOCOL_VERSION } from '../../conflict/protocol.js';
import { decodeItem } from '../../core/codec.js';
import type { Item } from '../../core/types.js';
import { type ReadVector, toWireJson, type VectorFile, type WriteVector } from '../../protocol/format.js';
import { runWrite } from '../../protocol/generateVectors.js';
import { REPO_ROOT } from '../helpers/childRun.js';

const load = <T>(name: string): VectorFile<T> =>
  JSON.parse(readFileSync(join(REPO_ROOT, 'protocol/vectors', name), 'utf8')) as VectorFile<T>;

/**
 * A DynamoDB client that plays a vector back: each request must equal the vector's next request exactly
 * (DynamoDB JSON), and gets the vector's recorded answer.
 */
const replayClient = (vector: WriteVector) => {
  let next = 0;
  const client = {
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      const expected = vector.requests[next];
      next += 1;
      expect(expected, `request #${next} is one more than the vector has`).toBeDefined();
      expect(command.constructor.name.replace(/Command$/, '')).toBe(expected!.operation);
      expect(toWireJson(command.input)).toEqual(expected!.params);
      const outcome = expected!.outcome;
      if (outcome.type === 'conditionalCheckFailed')
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
          ...(outcome.item === undefined ? {} : { Item: decodeItem(outcome.item) as never }),
        });
      if (outcome.type === 'item') return outcome.item === null ? {} : { Item: decodeItem(outcome.item) };
      return {};
    },
  };
  return { client: client as unknown as DynamoDBClient, sent: () => next };
};

describe('the protocol vectors', () => {
  it('are of the protocol version this code implements, which the replicator accepts', () => {
    for (const name of ['lww.json', 'merge.json', 'reads.json'])
      expect(load(name).protocolVersion).toBe(PROTOCOL_VERSION);
    expect(ACCEPTED_PROTOCOL_VERSIONS).toContain(PROTOCOL_VERSION);
  });

  describe.each(['lww.json', 'merge.json'])('%s', (file) => {
    const vectors = load<WriteVector>(file).cases;
    it('has cases', () => expect(vectors.length).toBeGreaterThan(10));
    it.each(vectors.map((vector) => [vector.name, vector] as const))(
      'the TypeScript helper sends exactly the requests of %s',
      async (_name, vector) => {
        // Prepare
        const replay = replayClient(vector);

        // Act
        const result = await runWrite(replay.client, vector);

        // Assess
        expect(result).toEqual(vector.result);
        expect(replay.sent()).toBe(vector.requests.length);
      },
    );
  });

  describe('reads.json', () => {
    const vectors = load<ReadVector>('reads.json').cases;
    it.each(vectors.map((vector) => [vector.name, vector] as const))(
      'both readers agree with %s',
      async (_name, vector) => {
        const stored = vector.stored === null ? undefined : decodeItem(vector.stored);
        const client = {
          send: async () => (stored === undefined ? {} : { Item: stored }),
        } as unknown as DynamoDBClient;
        const lww = new DynasyncClient({ client, region: 'eu-west-1', prefix: vector.prefix });
        const merge = new DynasyncMergeClient({ client, region: 'eu-west-1', prefix: vector.prefix });
        const Key: Item = { pk: { S: 'a' } };

        const lwwItem = (await lww.get({ TableName: 't', Key: Key as never })).Item;
        const mergeItem = await merge.get({ TableName: 't', Key });

        expect(lwwItem === undefined).toBe(vector.absent);
        expect(mergeItem === undefined).toBe(vector.absent);
        if (stored !== undefined) expect(lww.isLive(stored)).toBe(!vector.absent);
      },
    );
  });
});
