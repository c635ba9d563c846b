import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeItem } from '../../core/codec.js';
import { loadConfigFile, parseConfig } from '../../core/config/loadConfig.js';
import type { ConfigInput } from '../../core/config/schema.js';
import type { Config } from '../../core/config/types.js';
import { ErrorCodes } from '../../core/errors.js';
import type { Item } from '../../core/types.js';
import { LocalKeyProvider } from '../../keys/LocalKeyProvider.js';
import { createPipeline } from '../../pipeline/createPipeline.js';
import { deriveChange } from '../../pipeline/deriveChange.js';
import { decryptValue } from '../../pipeline/maskingCrypto.js';
import type { PipelineContext, TransformFunction } from '../../pipeline/types.js';
import { attributeName, wireAttributeValue } from '../helpers/arbitraries.js';
import { checkProperty, dynasyncErrorOf, expectDeepEqual } from '../helpers/laws.js';

const KEY = randomBytes(32).toString('base64');
const keys = () => new LocalKeyProvider({ source: { env: 'K' }, env: { K: KEY } });
const ctx: PipelineContext = { eventName: 'INSERT', sourceRegion: 'eu-west-1', targetRegion: 'us-east-1' };

const configWith = (pipeline: unknown, extra: Partial<ConfigInput> = {}): Config =>
  parseConfig({
    version: 1,
    name: 'orders',
    regions: {
      'eu-west-1': { table: 'orders' },
      'us-east-1': { table: 'orders' },
      'ap-south-1': { table: 'orders' },
    },
    topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1', 'ap-south-1'] },
    pipelines: { 'us-east-1': pipeline },
    ...extra,
  });

const maskingConfig = configWith({
  key: ['pk'],
  stages: [
    {
      type: 'mask',
      id: 'pii',
      rules: [
        { path: 'pk', action: 'tokenize' },
        { path: 'email', action: 'tokenize' },
        { path: 'card', action: 'partial', keepLast: 4 },
        { path: 'ssn', action: 'encrypt' },
        { path: 'contacts[*].phone', action: 'redact' },
        { path: 'notes', action: 'drop' },
      ],
    },
  ],
});

const customer: Item = {
  pk: { S: 'customer#ada@example.com' },
  email: { S: 'ada@example.com' },
  card: { S: '4111111111111111' },
  ssn: { S: '078-05-1120' },
  contacts: { L: [{ M: { phone: { S: '+44 20 7946 0958' }, kind: { S: 'home' } } }] },
  notes: { S: 'met Ada at the fair' },
  total: { N: '12.50' },
  _ds_v: { S: '000000000000001.000000.eu-west-1' },
};

describe('createPipeline', () => {
  it('masks every configured path, keeps the rest and the metadata, and an authorised reader can decrypt', async () => {
    const pipeline = await createPipeline(maskingConfig, 'us-east-1', { keys: keys() });
    const [out, ...more] = pipeline.apply(customer, ctx);
    expect(more).toEqual([]);
    const text = JSON.stringify(out);
    for (const secret of ['ada@example.com', '4111111111111111', '078-05-1120', '7946', 'met Ada'])
      expect(text).not.toContain(secret);
    expect(out!.total).toEqual({ N: '12.50' });
    expect(out!._ds_v).toEqual(customer._ds_v);
    expect(out!.notes).toBeUndefined();
    expect(out!.card).toEqual({ S: '************1111' });
    expect((out!.contacts as { L: Array<{ M: Item }> }).L[0]!.M.kind).toEqual({ S: 'home' });
    expect(decryptValue((out!.ssn as { S: string }).S, await keys().resolve())).toEqual({ S: '078-05-1120' });
  });

  it('gives the same token for the same value in every region (two pipelines built from the same key)', async () => {
    const a = await createPipeline(maskingConfig, 'us-east-1', { keys: keys() });
    const b = await createPipeline(maskingConfig, 'us-east-1', { keys: keys() });
    expect(a.apply(customer, ctx)[0]!.email).toEqual(
      b.apply(customer, { ...ctx, sourceRegion: 'x' })[0]!.email,
    );
  });

  it('law: masking never changes unmasked attributes', async () => {
    const pipeline = await createPipeline(maskingConfig, 'us-east-1', { keys: keys() });
    const masked = new Set(['pk', 'email', 'card', 'ssn', 'contacts', 'notes']);
    checkProperty(
      fc.property(
        fc.dictionary(
          attributeName().filter((name) => !masked.has(name) && !name.startsWith('_ds_')),
          wireAttributeValue(2),
          {
            maxKeys: 5,
            noNullPrototype: true,
          },
        ),
        (wire) => {
          const item: Item = { ...decodeItem(wire), pk: { S: 'k' } };
          const [out] = pipeline.apply(item, ctx);
          for (const name of Object.keys(item)) if (name !== 'pk') expectDeepEqual(out![name], item[name]);
        },
      ),
    );
  });

  it('a peer without a pipeline gets the identity; a pipeline that tokenizes without keys is refused at creation', async () => {
    const identity = await createPipeline(maskingConfig, 'ap-south-1');
    expect(identity.apply(customer, ctx)).toEqual([customer]);
    const error = await createPipeline(maskingConfig, 'us-east-1').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCodes.pipeline.keyUnavailable });
  });

  it('filters by event, key prefix and attribute predicates', async () => {
    const config = configWith({
      key: ['pk'],
      stages: [
        {
          type: 'filter',
          id: 'eu-customers',
          events: ['INSERT', 'MODIFY'],
          keyPrefix: 'customer#',
          where: [
            { path: 'country', op: 'equals', value: { S: 'DE' } },
            { path: 'deleted', op: 'notExists' },
          ],
        },
        {
          type: 'filter',
          id: 'no-tests',
          where: [{ path: 'tags[*]', op: 'beginsWith', value: 'test' }],
          mode: 'drop',
        },
      ],
    });
    const pipeline = await createPipeline(config, 'us-east-1');
    const de: Item = { pk: { S: 'customer#1' }, country: { S: 'DE' }, tags: { L: [{ S: 'vip' }] } };
    expect(pipeline.apply(de, ctx)).toHaveLength(1);
    expect(pipeline.apply(de, { ...ctx, eventName: 'REMOVE' })).toHaveLength(0);
    expect(pipeline.apply(de, { sourceRegion: 'a', targetRegion: 'b' })).toHaveLength(1);
    expect(pipeline.apply({ ...de, pk: { S: 'order#1' } }, ctx)).toHaveLength(0);
    expect(pipeline.apply({ ...de, country: { S: 'FR' } }, ctx)).toHaveLength(0);
    expect(pipeline.apply({ ...de, deleted: { BOOL: true } }, ctx)).toHaveLength(0);
    expect(pipeline.apply({ ...de, tags: { L: [{ S: 'test-run' }] } }, ctx)).toHaveLength(0);
  });

  it('maps with a user module: zero, one or many items, key changes allowed, outputs checked', async () => {
    const transform: TransformFunction = (item) => {
      if (item.kind !== undefined && 'S' in item.kind && item.kind.S === 'skip') return null;
      const lines = item.lines !== undefined && 'L' in item.lines ? item.lines.L : [];
      return lines.map((line, index) => ({ id: { S: `${(item.pk as { S: string }).S}#${index}` }, line }));
    };
    const config = configWith({
      key: ['pk'],
      targetKey: ['id'],
      stages: [{ type: 'map', id: 'explode', module: 'lines.js' }],
    });
    const pipeline = await createPipeline(config, 'us-east-1', {
      loadModule: (specifier) => Promise.resolve(specifier === 'lines.js' ? { transform } : {}),
    });
    const order: Item = { pk: { S: 'o1' }, lines: { L: [{ N: '1' }, { N: '2' }] } };
    expect(pipeline.apply(order, ctx).map((item) => pipeline.keyOf(item))).toEqual([
      { id: { S: 'o1#0' } },
      { id: { S: 'o1#1' } },
    ]);
    expect(pipeline.apply({ ...order, kind: { S: 'skip' } }, ctx)).toEqual([]);
  });

  it('per-record failures are pipeline.* errors whose messages quote no value', async () => {
    const secret = 'grace@example.com';
    const throwing: TransformFunction = (item) => {
      throw new Error(`cannot map ${JSON.stringify(item)}`);
    };
    const config = (targetKey: string[]) =>
      configWith({ key: ['pk'], targetKey, stages: [{ type: 'map', id: 'm', module: 'm.js' }] });
    const cases: Array<[TransformFunction, string[], string]> = [
      [throwing, ['pk'], ErrorCodes.pipeline.mapFailed],
      [
        (item) => ({ ...item, pk: { M: { secret: { S: secret } } } }),
        ['pk'],
        ErrorCodes.pipeline.keySchemaViolation,
      ],
      [(item) => ({ other: item.pk! }), ['pk'], ErrorCodes.pipeline.keySchemaViolation],
      [
        (item) => ({ ...item, big: { S: `${secret}${'x'.repeat(400 * 1024)}` } }),
        ['pk'],
        ErrorCodes.pipeline.itemTooLarge,
      ],
      [(item) => ({ ...item, bad: { N: secret } }), ['pk'], ErrorCodes.pipeline.invalidOutput],
      [(item) => ({ ...item, pk: { N: '1' } }), ['pk'], ErrorCodes.pipeline.keySchemaViolation],
    ];
    for (const [transform, targetKey, code] of cases) {
      const pipeline = await createPipeline(config(targetKey), 'us-east-1', {
        loadModule: () => Promise.resolve({ transform }),
      });
      const error = dynasyncErrorOf(() => pipeline.apply({ pk: { S: secret }, email: { S: secret } }, ctx));
      expect(error.code).toBe(code);
      expect(`${error.message} ${JSON.stringify(error.payload)}`).not.toContain('grace');
    }
  });

  it('refuses a map module without the exported function at creation (pipeline.moduleInvalid)', async () => {
    const config = configWith({
      key: ['pk'],
      stages: [{ type: 'map', id: 'm', module: 'm.js', export: 'reshape' }],
    });
    const error = await createPipeline(config, 'us-east-1', { loadModule: () => Promise.resolve({}) }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: ErrorCodes.pipeline.moduleInvalid });
  });
});

describe('deriveChange', () => {
  it('puts the new image, deletes keys the old image derived that the new one does not', async () => {
    const transform: TransformFunction = (item) => ({
      id: { S: `${(item.status as { S: string }).S}#${(item.pk as { S: string }).S}` },
    });
    const config = configWith({
      key: ['pk'],
      targetKey: ['id'],
      stages: [{ type: 'map', id: 'by-status', module: 'x' }],
    });
    const pipeline = await createPipeline(config, 'us-east-1', {
      loadModule: () => Promise.resolve({ transform }),
    });
    const old: Item = { pk: { S: 'o1' }, status: { S: 'open' } };
    const next: Item = { pk: { S: 'o1' }, status: { S: 'paid' } };
    const moved = deriveChange(pipeline, old, next, { ...ctx, eventName: 'MODIFY' });
    expect(moved.puts).toEqual([{ id: { S: 'paid#o1' } }]);
    expect(moved.deletes).toEqual([{ id: { S: 'open#o1' } }]);
    const same = deriveChange(pipeline, next, next, { ...ctx, eventName: 'MODIFY' });
    expect(same.deletes).toEqual([]);
    expect(deriveChange(pipeline, old, undefined, { ...ctx, eventName: 'REMOVE' })).toEqual({
      puts: [],
      deletes: [{ id: { S: 'open#o1' } }],
    });
  });

  it('a delete finds the tokenized key: the old image masks to the same key as the put did', async () => {
    const pipeline = await createPipeline(maskingConfig, 'us-east-1', { keys: keys() });
    const put = deriveChange(pipeline, undefined, customer, ctx).puts[0]!;
    const removed = deriveChange(pipeline, customer, undefined, { ...ctx, eventName: 'REMOVE' });
    expect(removed.deletes).toEqual([pipeline.keyOf(put)]);
    expect(JSON.stringify(removed)).not.toContain('ada@');
  });
});

describe('config: pipelines and keys', () => {
  it('the masking example in examples/ is valid and builds', async () => {
    const example = loadConfigFile('examples/masking.example.json');
    const pipeline = await createPipeline(example, 'us-east-1', { keys: keys() });
    expect(pipeline.stageIds).toEqual(['people-only', 'pii']);
    expect(
      pipeline.apply({ pk: { S: 'person#ada@example.com' }, notes: { S: 'x' } }, ctx)[0]!.notes,
    ).toBeUndefined();
  });

  const codeAndPaths = (run: () => unknown) => {
    const error = dynasyncErrorOf(run);
    return {
      code: error.code,
      paths: (error.payload.issues as Array<{ path: string }>).map((issue) => issue.path),
    };
  };

  it('names the field path of every mistake', () => {
    expect(
      codeAndPaths(() =>
        configWith({
          key: ['pk'],
          stages: [
            { type: 'mask', id: 'm', rules: [{ path: 'pk', action: 'encrypt' }] },
            { type: 'mask', id: 'm', rules: [{ path: 'a', action: 'partial', keepLsat: 4 }] },
          ],
        }),
      ),
    ).toEqual({
      code: ErrorCodes.config.invalidField,
      paths: ['pipelines.us-east-1.stages[1].rules[0].keepLsat'],
    });
    expect(
      codeAndPaths(() =>
        configWith({
          key: ['pk'],
          stages: [
            { type: 'mask', id: 'm', rules: [{ path: 'pk', action: 'encrypt' }] },
            { type: 'mask', id: 'm', rules: [{ path: '*', action: 'redact' }] },
            { type: 'filter', id: 'f', where: [{ path: 'a', op: 'equals', value: { X: 1 } }] },
          ],
        }),
      ).paths,
    ).toEqual([
      'pipelines.us-east-1.stages[0].rules[0].action',
      'pipelines.us-east-1.stages[1].id',
      'pipelines.us-east-1.stages[1].rules[0].action',
      'pipelines.us-east-1.stages[2].where[0].value',
    ]);
    expect(
      codeAndPaths(() =>
        configWith({
          key: ['pk'],
          stages: [{ type: 'mask', id: 'm', rules: [{ path: 'a..b', action: 'drop' }] }],
        }),
      ).paths,
    ).toEqual(['pipelines.us-east-1.stages[0].rules[0].path']);
  });

  it('refuses masking in active-active and pipelines for regions that receive nothing', () => {
    const base = { version: 1, name: 'o', regions: { a1: { table: 'ta1' }, b1: { table: 'tb1' } } };
    expect(
      codeAndPaths(() =>
        parseConfig({
          ...base,
          topology: { type: 'active-active' },
          pipelines: {
            b1: {
              key: ['pk'],
              stages: [{ type: 'mask', id: 'm', rules: [{ path: 'e', action: 'redact' }] }],
            },
          },
        }),
      ).paths,
    ).toEqual(['pipelines.b1.stages[0].type']);
    expect(
      codeAndPaths(() =>
        parseConfig({
          ...base,
          topology: { type: 'one-way', from: 'a1', to: ['b1'] },
          pipelines: { a1: { key: ['pk'] }, zz: { key: ['pk'] } },
        }),
      ).paths,
    ).toEqual(['pipelines.a1', 'pipelines.zz']);
    expect(
      codeAndPaths(() => configWith({ key: ['pk'] }, { keys: { type: 'kms', keyID: 'x' } as never })).paths,
    ).toEqual(['keys.keyID']);
  });
});
