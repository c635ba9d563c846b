import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LwwDecisions, resolveLww } from '../../conflict/lww.js';
import { compareVersions } from '../../conflict/version.js';
import { crowdedVersion } from '../helpers/arbitraries.js';
import { checkProperty } from '../helpers/laws.js';

describe('resolveLww', () => {
  it('applies anything over nothing', () => {
    expect(resolveLww({ physicalMs: 0, logical: 0, origin: 'a' }, undefined)).toBe(LwwDecisions.apply);
  });

  it('law: apply exactly when strictly newer; equal (a duplicate) is stale', () => {
    checkProperty(
      fc.property(crowdedVersion(), crowdedVersion(), (incoming, stored) => {
        const expected = compareVersions(incoming, stored) > 0 ? LwwDecisions.apply : LwwDecisions.stale;

        expect(resolveLww(incoming, stored)).toBe(expected);
        expect(resolveLww(incoming, incoming)).toBe(LwwDecisions.stale);
      }),
    );
  });
});
