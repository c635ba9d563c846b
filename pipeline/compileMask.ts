import type { StageConfig } from '../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import type { AttributeValue } from '../core/types.js';
import { parsePath, rewritePath } from './attributePath.js';
import { compileMaskRule, type MaskEnvironment } from './maskValue.js';
import type { CompiledStage } from './types.js';

type MaskConfig = Extract<StageConfig, { type: 'mask' }>;

/** A mask: applies its rules in order, each to every value its path matches. */
export const compileMask = (stage: MaskConfig, env: MaskEnvironment): CompiledStage => {
  // Paths are parsed and rules compiled once per stage, never per item.
  const rules = stage.rules.map((rule) => {
    const segments = parsePath(rule.path);
    const only = segments.length === 1 ? segments[0]! : undefined;
    return {
      rule,
      segments,
      /** The attribute name when the path is one top-level name (most rules). */
      name: only?.kind === 'name' ? only.name : undefined,
      mask: compileMaskRule(rule, env),
    };
  });
  return {
    id: stage.id,
    type: 'mask',
    run: (item) => {
      // One shallow copy for the rules on top-level attributes (most rules); nested paths rewrite immutably.
      let out: Record<string, AttributeValue> = { ...item };
      for (const { rule, segments, name, mask } of rules) {
        try {
          if (name !== undefined) {
            const value = out[name];
            if (value === undefined) continue;
            const masked = mask(value);
            if (masked === undefined) delete out[name];
            else out[name] = masked;
          } else {
            const next = rewritePath(out, segments, mask);
            if (next !== out) out = { ...next };
          }
        } catch (cause) {
          // The cause may quote the value: keep its name only.
          throw new DynasyncError(
            ErrorCodes.pipeline.maskFailed,
            `mask stage "${stage.id}": ${rule.action} of "${rule.path}" failed (${cause instanceof Error ? cause.name : typeof cause})`,
            { payload: { stage: stage.id, path: rule.path, action: rule.action } },
          );
        }
      }
      return [out];
    },
  };
};
