import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iamStatements, removeSynthOutputs, type SynthesisedApp, synthesise, testConfig } from './helpers.js';

afterAll(removeSynthOutputs);

const peerActions = (app: SynthesisedApp): unknown[] =>
  iamStatements(app.templates['eu-west-1']!)
    .filter((found) => found.logicalId.startsWith('ReplicatorRole'))
    .map((found) => found.statement.Action)
    .filter((action) => JSON.stringify(action).includes('dynamodb:PutItem'));

describe('conflict.strategy and the replicator role', () => {
  let lww: SynthesisedApp;
  let merge: SynthesisedApp;

  beforeAll(() => {
    lww = synthesise(testConfig({ deploy: { maskingKeys: false } }));
    merge = synthesise(testConfig({ conflict: { strategy: 'merge' }, deploy: { maskingKeys: false } }));
  });

  it('lww: PutItem only on the peer table', () => {
    expect(peerActions(lww)).toEqual(['dynamodb:PutItem']);
  });

  it('merge: PutItem and GetItem (the consistent read of a conflict) on the peer table', () => {
    expect(peerActions(merge)).toEqual([['dynamodb:PutItem', 'dynamodb:GetItem']]);
  });
});
