import { isLocalEndpoint } from '../../core/config/localEndpoint.js';
import { metadataNamesFor } from '../../core/config/topology.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { parseKeyOption } from '../tables/planTables.js';
import type { KeyAttributeSpec } from '../tables/types.js';

/** The topologies `dynasync init` writes. */
export const InitTopologies = ['one-way', 'active-active'] as const;
export type InitTopology = (typeof InitTopologies)[number];

/** The options of `dynasync init`, as typed on the command line. */
export interface InitOptions {
  /** @default "one-way" */
  readonly topology?: string;
  /** Comma-separated region names; one-way: the first is the source. */
  readonly regions: string;
  /** Table name in every region (suffixed with `-<region>` where regions share an endpoint). */
  readonly table: string;
  /** `URL` (every region) or `REGION=URL`, repeatable. @default none: the AWS endpoints */
  readonly endpointUrl?: readonly string[];
  /** @default "dynasync" */
  readonly name?: string;
  /** `NAME:TYPE`. @default "pk:S" */
  readonly partitionKey?: string;
  /** `NAME:TYPE`. @default no sort key */
  readonly sortKey?: string;
}

/** A starter config, decided from {@link InitOptions}. */
export interface InitPlan {
  readonly topology: InitTopology;
  readonly name: string;
  readonly regions: readonly { readonly name: string; readonly table: string; readonly endpoint?: string }[];
  readonly partitionKey: KeyAttributeSpec;
  readonly sortKey?: KeyAttributeSpec;
}

const invalid = (option: string, message: string): DynasyncError =>
  new DynasyncError(ErrorCodes.init.invalidOption, `${option}: ${message}`, { payload: { option } });

const endpointsOf = (values: readonly string[], regions: readonly string[]): Map<string, string> => {
  let shared: string | undefined;
  const perRegion = new Map<string, string>();
  for (const value of values) {
    const pair = /^([a-z0-9-]+)=(.+)$/.exec(value);
    if (pair === null) {
      if (shared !== undefined)
        throw invalid('--endpoint-url', 'give one URL for every region, or REGION=URL for each region');
      shared = value;
      continue;
    }
    const [, region, url] = pair as unknown as [string, string, string];
    if (!regions.includes(region))
      throw invalid('--endpoint-url', `"${region}" is not one of --regions (${regions.join(', ')})`);
    perRegion.set(region, url);
  }
  const endpoints = new Map<string, string>();
  for (const region of regions) {
    const url = perRegion.get(region) ?? shared;
    if (url !== undefined) endpoints.set(region, url);
  }
  return endpoints;
};

/**
 * Decides the starter config from the command line: the regions in order, each region's table
 * (suffixed `-<region>` where two regions share an endpoint, as one DynamoDB Local with `-sharedDb`
 * holds every region's tables), and the key. Field values are checked by the real config loader
 * afterwards ({@link renderConfig}'s output is parsed before it is written).
 * @throws DynasyncError `init.invalidOption` naming the option.
 */
export const planInit = (options: InitOptions): InitPlan => {
  const topology = options.topology ?? 'one-way';
  if (!(InitTopologies as readonly string[]).includes(topology))
    throw invalid('--topology', `"${topology}" is not one of ${InitTopologies.join(', ')}`);
  const names = options.regions
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length < 2)
    throw invalid(
      '--regions',
      'name at least two regions, comma-separated, e.g. --regions eu-west-1,us-east-1',
    );
  if (new Set(names).size !== names.length) throw invalid('--regions', 'a region is listed twice');
  const endpoints = endpointsOf(options.endpointUrl ?? [], names);
  const sharing = (region: string) => {
    // Without an endpoint each region is its own AWS region, so the same name is fine.
    const endpoint = endpoints.get(region);
    return endpoint !== undefined && names.filter((other) => endpoints.get(other) === endpoint).length > 1;
  };
  const partitionKey = parseKeyOption(options.partitionKey ?? 'pk:S', '--partition-key');
  const sortKey = options.sortKey === undefined ? undefined : parseKeyOption(options.sortKey, '--sort-key');
  return {
    topology: topology as InitTopology,
    name: options.name ?? 'dynasync',
    regions: names.map((name) => {
      const endpoint = endpoints.get(name);
      return {
        name,
        table: sharing(name) ? `${options.table}-${name}` : options.table,
        ...(endpoint === undefined ? {} : { endpoint }),
      };
    }),
    partitionKey,
    ...(sortKey === undefined ? {} : { sortKey }),
  };
};

const json = (value: unknown): string => JSON.stringify(value);

/**
 * Writes the starter config as commented JSON (the loader accepts `//` comments): every field
 * `dynasync run`, `verify` and `tables create` need, each with a line saying what it does.
 */
export const renderConfig = (plan: InitPlan): string => {
  const [first, ...rest] = plan.regions;
  const local = plan.regions.some((region) => isLocalEndpoint(region.endpoint));
  const expires = metadataNamesFor('_ds_').expires;
  const direction =
    plan.topology === 'one-way'
      ? `one-way: ${first!.name} → ${rest.map((region) => region.name).join(', ')}`
      : `active-active: ${plan.regions.map((region) => region.name).join(' ⇄ ')}`;
  const regionLines = plan.regions.map((region, index) => {
    const fields = [`"table": ${json(region.table)}`];
    if (region.endpoint !== undefined) fields.push(`"endpoint": ${json(region.endpoint)}`);
    return `    ${json(region.name)}: { ${fields.join(', ')} }${index < plan.regions.length - 1 ? ',' : ''}`;
  });
  const topology =
    plan.topology === 'one-way'
      ? [
          '  // one-way: applications write only to "from"; its changes reach every "to" region, which',
          '  // need no stream. Changes written to a "to" region are not sent anywhere.',
          `  "topology": { "type": "one-way", "from": ${json(first!.name)}, "to": ${json(rest.map((r) => r.name))} },`,
        ]
      : [
          '  // active-active: applications may write to every region; each ships its changes to all the',
          '  // others, and a conflict (the same key written in two regions) is settled by "conflict".',
          '  "topology": { "type": "active-active" },',
        ];
  const attribute = (spec: KeyAttributeSpec) => `{ "name": ${json(spec.name)}, "type": ${json(spec.type)} }`;
  const key = [
    '"mode": "create"',
    `"partitionKey": ${attribute(plan.partitionKey)}`,
    ...(plan.sortKey === undefined ? [] : [`"sortKey": ${attribute(plan.sortKey)}`]),
  ].join(', ');
  return [
    `// dynasync config (${direction}), written by \`dynasync init\`.`,
    '// Comments like this one are allowed. Every field is described in docs/configuration.md.',
    ...(local
      ? [
          '// Local endpoints: start DynamoDB Local with -sharedDb, or it keeps separate tables per access',
          '// key and region and dynasync will not see tables created another way.',
        ]
      : []),
    '{',
    '  // Config format version.',
    '  "version": 1,',
    '  // Name of the deployment: used in metric and stack names.',
    `  "name": ${json(plan.name)},`,
    '  // One entry per region: its table and, for DynamoDB Local, its endpoint. The key is the AWS',
    '  // region name requests are signed for (set "awsRegion" to use another key).',
    '  "regions": {',
    ...regionLines,
    '  },',
    ...topology,
    '  // Last writer wins, by the version dynasync stamps on each item. "merge" runs per-attribute',
    '  // merges or your own function instead.',
    '  "conflict": { "strategy": "lww" },',
    `  // Deletes leave a marker (tombstone) for this many days; TTL on "${expires}" then removes it.`,
    '  "tombstones": { "retentionDays": 7 },',
    '  // A record that cannot be replicated is kept whole in <dir>/dead-letter-<region>.jsonl',
    '  // (replay it with `dynasync redrive`). In AWS use {"type": "sqs", "queues": {...}}.',
    '  "deadLetter": { "type": "file", "dir": ".dynasync" },',
    '  // `dynasync tables create` (and the CDK app in infra/) create each missing table with this key,',
    `  // a NEW_AND_OLD_IMAGES stream and TTL on "${expires}". Use {"mode": "import"} for existing tables.`,
    `  "deploy": { "table": { ${key} } }`,
    '}',
    '',
  ].join('\n');
};
