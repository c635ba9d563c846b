import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeVersion } from '../../../conflict/version.js';
import { metadataNamesFor } from '../../../core/config/topology.js';
import type { WireAttributeValue, WireItem } from '../../../core/types.js';
import {
  entryOf,
  readScanPage,
  type ScannedEntry,
  type ScanPageRules,
} from '../../../tools/verify/_internals/readScanPage.js';
import {
  anyString,
  numberText,
  version as versionArb,
  wireAttributeValue,
  wireBinary,
  wireItem,
} from '../../helpers/arbitraries.js';
import { checkProperty } from '../../helpers/laws.js';

const names = metadataNamesFor('_ds_');

class MissingKey extends Error {}
const rulesFor = (compareVersions: boolean, sourceKeyNames?: readonly string[]): ScanPageRules => ({
  rules: { names, compareVersions },
  keyNames: ['pk', 'sk'],
  ...(sourceKeyNames === undefined ? {} : { sourceKeyNames }),
  checkKey: (present) => {
    if (!present('pk') || !present('sk')) throw new MissingKey('no key');
  },
});

/** Binary in any base64 DynamoDB could be sent: padded, unpadded or URL-safe. */
const anyBinary = (): fc.Arbitrary<string> =>
  fc.oneof(
    wireBinary(),
    wireBinary().map((text) => text.replace(/=+$/, '')),
    wireBinary().map((text) => text.replace(/\+/g, '-').replace(/\//g, '_')),
  );

/** Numbers in any spelling, with the edge cases of the canonical one (`-0`, zeros, exponents). */
const spelledNumber = (): fc.Arbitrary<string> =>
  fc.oneof(numberText(), fc.constantFrom('-0', '0', '-0.0', '0.0', '1.50', '1E+2', '-1e-2', '10', '-0.5'));

/** A key value of any key type, in any spelling. */
const keyValue = (): fc.Arbitrary<WireAttributeValue> =>
  fc.oneof(
    anyString().map((S) => ({ S })),
    spelledNumber().map((N) => ({ N })),
    anyBinary().map((B) => ({ B })),
  );

/** Metadata as replicas carry it: versions (valid or not), delete markers, the replicated flag. */
const metadata = (): fc.Arbitrary<WireItem> =>
  fc.record(
    {
      [names.version]: fc.oneof(
        versionArb().map((version) => ({ S: encodeVersion(version) })),
        wireAttributeValue(1),
      ),
      [names.deleted]: fc.oneof(
        fc.boolean().map((BOOL) => ({ BOOL })),
        wireAttributeValue(0),
      ),
      [names.replicated]: fc.constant({ BOOL: true }),
    },
    { requiredKeys: [] },
  ) as fc.Arbitrary<WireItem>;

/** Items as a scan returns them: usually keyed, with other attributes, metadata and binary in any base64. */
const scannedItem = (): fc.Arbitrary<WireItem> =>
  fc
    .tuple(
      fc.option(keyValue(), { freq: 8 }),
      fc.option(keyValue(), { freq: 8 }),
      wireItem(3),
      metadata(),
      fc.option(anyBinary(), { nil: undefined }),
      fc.uniqueArray(spelledNumber(), { maxLength: 4 }),
      fc.array(fc.nat(), { maxLength: 12 }),
    )
    .map(([pk, sk, rest, meta, binary, numbers, order]) => {
      const attributes: Array<[string, WireAttributeValue]> = [
        ...Object.entries(rest),
        ...Object.entries(meta),
        ...(binary === undefined ? [] : [['bin', { B: binary }] as [string, WireAttributeValue]]),
        ...numbers.map((N, i) => [`n${i}`, { N }] as [string, WireAttributeValue]),
        ...(numbers.length === 0 ? [] : [['ns', { NS: numbers }] as [string, WireAttributeValue]]),
        ...(pk === null ? [] : [['pk', pk] as [string, WireAttributeValue]]),
        ...(sk === null ? [] : [['sk', sk] as [string, WireAttributeValue]]),
      ];
      // Names in an arbitrary order (as DynamoDB sends them), each once.
      const byName = new Map(attributes);
      const ordered = [...byName.keys()].sort(
        (a, b) => (order[a.length % 12] ?? 0) - (order[b.length % 12] ?? 0) || (a < b ? 1 : -1),
      );
      return Object.fromEntries(ordered.map((name) => [name, byName.get(name)!]));
    });

/** Another valid JSON spelling of the same document: every `a` inside strings written `\u0061`. */
const escapeLetters = (json: string): string => {
  let out = '';
  let inString = false;
  for (let i = 0; i < json.length; i += 1) {
    const char = json[i]!;
    if (inString && char === '\\') {
      const length = json[i + 1] === 'u' ? 6 : 2; // \uXXXX, or \n, \", …
      out += json.slice(i, i + length);
      i += length - 1;
      continue;
    }
    if (char === '"') inString = !inString;
    out += inString && char === 'a' ? '\\u0061' : char;
  }
  return out;
};

const spellings = {
  compact: (document: object) => JSON.stringify(document),
  spaced: (document: object) => JSON.stringify(document, null, 2),
  escaped: (document: object) => escapeLetters(JSON.stringify(document)),
} as const;

/** A scan page: items and the other members DynamoDB sends, in any order. */
const scanPage = () =>
  fc
    .tuple(
      fc.array(scannedItem(), { maxLength: 12 }),
      fc.shuffledSubarray(['Count', 'ScannedCount', 'LastEvaluatedKey', 'ConsumedCapacity'] as const),
      fc.nat({ max: 4 }),
    )
    .map(([items, others, itemsAt]) => {
      const members: Array<[string, unknown]> = others.map((name) => [
        name,
        name === 'LastEvaluatedKey'
          ? { pk: { S: 'k' }, sk: { N: '1' } }
          : name === 'ConsumedCapacity'
            ? { TableName: 't', CapacityUnits: 2.5 }
            : items.length,
      ]);
      members.splice(Math.min(itemsAt, members.length), 0, ['Items', items]);
      return { items, document: Object.fromEntries(members) };
    });

/** What the reference path gives: JSON.parse, then `entryOf` per item; or what it throws. */
const reference = (text: string, rules: ScanPageRules) => {
  try {
    const { Items: items = [], ...rest } = JSON.parse(text) as { Items?: WireItem[] };
    return { entries: items.map((item) => entryOf(item, rules)), rest };
  } catch (error) {
    return { error };
  }
};
const fast = (text: string, rules: ScanPageRules) => {
  try {
    const entries: ScannedEntry[] = [];
    const rest = readScanPage(text, rules, (entry) => entries.push(entry));
    return { entries, rest };
  } catch (error) {
    return { error };
  }
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('readScanPage', () => {
  it('law: reduces every item of any page, in any JSON spelling, exactly as JSON.parse + entryOf does', () => {
    checkProperty(
      fc.property(
        scanPage(),
        fc.constantFrom(...(Object.keys(spellings) as Array<keyof typeof spellings>)),
        fc.boolean(),
        fc.constantFrom(undefined, ['pk'], ['id', 'pk']),
        ({ document }, spelling, compareVersions, sourceKeyNames) => {
          const text = spellings[spelling](document);
          const rules = rulesFor(compareVersions, sourceKeyNames);
          const expected = reference(text, rules);
          const actual = fast(text, rules);
          if ('error' in expected) {
            expect(actual).toHaveProperty('error');
            expect((actual as { error: unknown }).error).toBeInstanceOf(MissingKey);
            expect(expected.error).toBeInstanceOf(MissingKey);
          } else expect(actual).toEqual(expected);
        },
      ),
      300,
    );
  });

  it('reads a page DynamoDB sent in canonical form without JSON.parse of any item', () => {
    // Prepare: items shaped as a scan returns them, names out of order, a nested map out of order,
    // a set out of order and a number not in its plain spelling (spelled again, still no parse).
    const items = Array.from({ length: 20 }, (_, i) => ({
      visits: { N: String(i * 7) },
      profile: { M: { city: { S: `city-${i}` }, active: { BOOL: i % 2 === 0 } } },
      pk: { S: `user#${i}` },
      sk: { N: i % 3 === 0 ? '1.50' : '2' },
      tags: { SS: ['z', 'a'] },
      list: { L: [{ N: '1' }, { NULL: true }, { M: { b: { S: 'x' }, a: { BS: ['AQ==', 'AA=='] } } }] },
      _ds_v: { S: encodeVersion({ physicalMs: 1_700_000_000_000 + i, logical: 0, origin: 'eu-west-1' }) },
      ...(i % 4 === 0 ? { _ds_del: { BOOL: true } } : {}),
    }));
    const text = JSON.stringify({
      Items: items,
      Count: 20,
      LastEvaluatedKey: { pk: { S: 'user#19' }, sk: { N: '2' } },
    });
    const rules = rulesFor(true);
    const expected = reference(text, rules);
    const parse = vi.spyOn(JSON, 'parse');
    // Act
    const actual = fast(text, rules);
    // Assess: only the two members besides Items were parsed, each on its own.
    expect(actual).toEqual(expected);
    expect(parse.mock.calls.map(([input]) => input)).toEqual(['20', '{"pk":{"S":"user#19"},"sk":{"N":"2"}}']);
  });

  it('spells again each value DynamoDB could send another way, so equal values digest alike', () => {
    // Prepare: the same item in its canonical spelling and in every other one the reader handles.
    const canonical = {
      pk: { S: 'a' },
      sk: { N: '1.5' },
      b: { B: 'AQ==' },
      ss: { SS: ['x', 'y'] },
      ns: { NS: ['-1', '2.5'] },
      bs: { BS: ['AA==', 'AQ=='] },
      m: { M: { a: { N: '10' }, b: { L: [{ N: '0' }, { B: 'Ag==' }] } } },
    };
    const other = {
      m: { M: { b: { L: [{ N: '-0' }, { B: 'Ag' }] }, a: { N: '1E+1' } } },
      bs: { BS: ['AQ', 'AA=='] },
      ns: { NS: ['2.50', '-1.0'] },
      ss: { SS: ['y', 'x'] },
      b: { B: 'AQ' },
      sk: { N: '15E-1' },
      pk: { S: 'a' },
    };
    const rules = rulesFor(true);
    const read = (item: object) => fast(JSON.stringify({ Items: [item] }), rules);
    // Act
    const [fromCanonical, fromOther] = [read(canonical), read(other)];
    // Assess
    expect(fromOther).toEqual(fromCanonical);
    expect(fromOther).toEqual(reference(JSON.stringify({ Items: [other] }), rules));
  });

  it('leaves a name given twice (never sent by DynamoDB) to JSON.parse: the last one counts', () => {
    const rules = rulesFor(true);
    for (const text of [
      '{"Items":[{"pk":{"S":"a"},"sk":{"N":"1"},"x":{"S":"old"},"x":{"S":"new"}}]}',
      '{"Items":[{"pk":{"S":"a"},"sk":{"N":"1"},"m":{"M":{"a":{"S":"old"},"a":{"S":"new"}}}}]}',
      '{"Items":[{"pk":{"S":"a"},"sk":{"N":"1"},"m":{"M":{"b":{"S":"x"},"a":{"S":"old"},"a":{"S":"new"}}}}]}',
    ]) {
      const expected = reference(text, rules);
      expect(fast(text, rules)).toEqual(expected);
      const single = text.replace(/"old"\},"(x|a)":\{"S":/, '');
      expect(fast(single, rules)).toEqual(expected);
    }
  });

  it('throws what JSON.parse throws for a body that is not JSON', () => {
    const rules = rulesFor(true);
    for (const text of [
      '{"Items":[{"pk":{"S":"a"}',
      '{"Items":[]}x',
      '',
      '{"Items":[{"pk":{"S":"a\u0001"}}]}',
    ])
      expect(() => readScanPage(text, rules, () => undefined)).toThrow(SyntaxError);
  });
});
