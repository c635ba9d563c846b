import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { KEY_ADMIN_ACTIONS } from '../../infra/_internals/keyPolicy.js';
import { exampleConfig, removeSynthOutputs, type SynthesisedApp, synthesise } from './helpers.js';

afterAll(removeSynthOutputs);

/** A key policy statement as synthesised. */
interface KeyStatement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal: { readonly AWS: unknown };
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every KMS key of a template (primary keys and replicas) with its policy statements. */
const keysOf = (template: Template): Array<{ id: string; statements: KeyStatement[] }> => {
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties: { KeyPolicy: { Statement: KeyStatement[] } } }
  >;
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::KMS::Key' || resource.Type === 'AWS::KMS::ReplicaKey')
    .map(([id, resource]) => ({ id, statements: resource.Properties.KeyPolicy.Statement }));
};

const actionsOf = (statement: KeyStatement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

/** The logical ids of the roles a statement's `aws:PrincipalArn` condition names. */
const principalRoles = (statement: KeyStatement): unknown[] =>
  (statement.Condition?.ArnEquals?.['aws:PrincipalArn'] as unknown[] | undefined) ?? [];

const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

/** Logical id of the only resource of a type whose id starts with `prefix`. */
const idOf = (template: Template, type: string, prefix: string): string => {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids, `${type} ${prefix}*`).toHaveLength(1);
  return ids[0]!;
};

/** True when an action (or a wildcard pattern of actions) covers `action`. */
const covers = (pattern: string, action: string): boolean =>
  new RegExp(`^${pattern.replace(/\*/g, '.*')}$`, 'i').test(action);

const USE_ACTIONS = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:GenerateDataKeyPair',
  'kms:CreateGrant',
];

describe('KMS key policies', () => {
  let synth: SynthesisedApp;
  let withReader: SynthesisedApp;
  const reader = 'arn:aws:iam::123456789012:role/dynasync-operator';

  beforeAll(() => {
    synth = synthesise(exampleConfig());
    withReader = synthesise(exampleConfig(), { readerRoleArn: reader });
  });

  it('give the account key administration without key use: kms:* is granted to nobody', () => {
    for (const template of Object.values(synth.templates)) {
      const keys = keysOf(template);
      expect(keys).toHaveLength(2); // the masking key (primary or replica) and the dead-letter queue's key
      for (const { id, statements } of keys) {
        const admin = statements.filter(
          (statement) => statement.Sid === 'AccountAdministersTheKeyWithoutUsingIt',
        );
        expect(admin, id).toHaveLength(1);
        expect(admin[0]!.Condition).toBeUndefined();
        expect(actionsOf(admin[0]!)).toEqual([...KEY_ADMIN_ACTIONS]);
        // Still manageable: the account can change the policy, rotate, disable and delete the key.
        for (const action of [
          'kms:PutKeyPolicy',
          'kms:ScheduleKeyDeletion',
          'kms:DisableKey',
          'kms:DescribeKey',
        ])
          expect(
            actionsOf(admin[0]!).some((pattern) => covers(pattern, action)),
            `${id} ${action}`,
          ).toBe(true);
        for (const statement of statements) {
          expect(actionsOf(statement), id).not.toContain('kms:*');
          const uses = USE_ACTIONS.filter((action) =>
            actionsOf(statement).some((pattern) => covers(pattern, action)),
          );
          if (statement === admin[0]) expect(uses, id).toEqual([]);
          // Every use is for named roles only.
          else expect(principalRoles(statement).length, `${id} ${statement.Sid}`).toBeGreaterThan(0);
        }
      }
    }
  });

  it('let only the replicator decrypt the token key, with its encryption context, in every region', () => {
    for (const template of Object.values(synth.templates)) {
      const masking = keysOf(template).find(({ id }) => id.startsWith('MaskingKey'))!;
      const uses = masking.statements.filter(
        (statement) => statement.Sid !== 'AccountAdministersTheKeyWithoutUsingIt',
      );
      const decrypt = uses.filter((statement) => actionsOf(statement).includes('kms:Decrypt'));
      expect(decrypt).toEqual([
        expect.objectContaining({
          Sid: 'ReplicatorsDecryptTheTokenKey',
          Action: 'kms:Decrypt',
          Condition: {
            StringEquals: {
              'kms:EncryptionContext:purpose': 'dynasync-token-key',
              'kms:EncryptionContext:deployment': 'orders',
            },
            ArnEquals: { 'aws:PrincipalArn': [getAtt(idOf(template, 'AWS::IAM::Role', 'ReplicatorRole'))] },
          },
        }),
      ]);
    }
    // The primary also lets the token key function generate the material (ciphertext only), with the context.
    const eu = synth.templates['eu-west-1']!;
    const generate = keysOf(eu)
      .find(({ id }) => id.startsWith('MaskingKey'))!
      .statements.filter((statement) => statement.Sid === 'TokenKeyMaterialIsGenerated');
    expect(generate).toHaveLength(1);
    expect(generate[0]!.Action).toBe('kms:GenerateDataKeyWithoutPlaintext');
    expect(principalRoles(generate[0]!)).toEqual([
      getAtt(idOf(eu, 'AWS::IAM::Role', 'MaskingKeyTokenKeyRole')),
    ]);
    expect(Object.keys(generate[0]!.Condition!.StringEquals!)).toEqual([
      'kms:EncryptionContext:purpose',
      'kms:EncryptionContext:deployment',
    ]);
  });

  it('let the dead-letter queue key be used only through SQS of its region, by the replicator', () => {
    for (const [region, template] of Object.entries(synth.templates)) {
      const dlq = keysOf(template).find(({ id }) => id.startsWith('ReplicatorDeadLetterQueueKey'))!;
      const uses = dlq.statements.filter(
        (statement) => statement.Sid !== 'AccountAdministersTheKeyWithoutUsingIt',
      );
      expect(uses).toEqual([
        expect.objectContaining({
          Sid: 'SendersUseTheKeyThroughSqs',
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
          Condition: {
            StringEquals: {
              'kms:ViaService': { 'Fn::Join': ['', [`sqs.${region}.`, { Ref: 'AWS::URLSuffix' }]] },
            },
            ArnEquals: { 'aws:PrincipalArn': [getAtt(idOf(template, 'AWS::IAM::Role', 'ReplicatorRole'))] },
          },
        }),
      ]);
    }
  });

  it('let the optional reader role decrypt the token key (its context) and the dead letters (through SQS), nothing more', () => {
    for (const [region, template] of Object.entries(withReader.templates)) {
      const [masking, dlq] = ['MaskingKey', 'ReplicatorDeadLetterQueueKey'].map(
        (prefix) => keysOf(template).find(({ id }) => id.startsWith(prefix))!,
      );
      const readers = (statements: KeyStatement[]) =>
        statements.filter((statement) => principalRoles(statement).includes(reader));
      expect(readers(masking!.statements)).toEqual([
        expect.objectContaining({
          Sid: 'ReaderDecryptsTheTokenKey',
          Action: 'kms:Decrypt',
          Condition: {
            StringEquals: {
              'kms:EncryptionContext:purpose': 'dynasync-token-key',
              'kms:EncryptionContext:deployment': 'orders',
            },
            ArnEquals: { 'aws:PrincipalArn': [reader] },
          },
        }),
      ]);
      expect(readers(dlq!.statements)).toEqual([
        expect.objectContaining({
          Sid: 'ReaderDecryptsThroughSqs',
          Action: 'kms:Decrypt',
          Condition: {
            StringEquals: {
              'kms:ViaService': { 'Fn::Join': ['', [`sqs.${region}.`, { Ref: 'AWS::URLSuffix' }]] },
            },
            ArnEquals: { 'aws:PrincipalArn': [reader] },
          },
        }),
      ]);
    }
    // Without the prop no statement names a reader.
    for (const template of Object.values(synth.templates))
      for (const { statements } of keysOf(template))
        expect(statements.map((statement) => statement.Sid)).not.toContain('ReaderDecryptsTheTokenKey');
  });
});

describe('the reader role', () => {
  it.each(['dynasync-operator', 'arn:aws:iam::123456789012:user/ops', 'arn:aws:iam::1234:role/ops'])(
    'is refused at synth when it is not an IAM role ARN (%s): the key policy would match nobody',
    (arn) => {
      let error: unknown;
      try {
        synthesise(exampleConfig(), { readerRoleArn: arn });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(DynasyncError);
      expect(error).toMatchObject({
        code: ErrorCodes.config.invalidField,
        payload: { path: 'readerRoleArn' },
      });
    },
  );
});

describe('log groups of the functions the CDK adds', () => {
  let synth: SynthesisedApp;

  beforeAll(() => {
    synth = synthesise(exampleConfig());
  });

  it('give every function of every stack a log group with the configured retention, the export writer and reader included', () => {
    const found: string[] = [];
    for (const template of Object.values(synth.templates)) {
      const json = template.toJSON() as {
        Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
      };
      for (const [id, resource] of Object.entries(json.Resources)) {
        if (resource.Type !== 'AWS::Lambda::Function') continue;
        found.push(id.replace(/[0-9A-F]{8}$/, ''));
        const logGroup = (resource.Properties.LoggingConfig as { LogGroup?: { Ref: string } } | undefined)
          ?.LogGroup;
        expect(logGroup, id).toEqual({ Ref: expect.any(String) });
        const group = json.Resources[logGroup!.Ref]!;
        expect(group.Type, id).toBe('AWS::Logs::LogGroup');
        expect(group.Properties.RetentionInDays, id).toBe(30);
      }
    }
    expect(found.sort()).toEqual(
      [
        'CustomCrossRegionExportReaderCustomResourceProviderHandler',
        'CustomCrossRegionExportWriterCustomResourceProviderHandler',
        'MaskingKeyTokenKeyFunction',
        'ReplicatorFunction',
        'ReplicatorFunction',
      ].sort(),
    );
  });
});
