import type { StageConfig } from '../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import type { AttributeValue } from '../core/types.js';
import { parsePath, rewritePath } from './attributePath.js';
import { type MaskEnvironment, maskValue } from './maskValue.js';
import type { CompiledStage } from './types.js';

type MaskConfig = Extract<StageConfig, { type: 'mask' }>;

/** A mask: applies its rules in order, each to every value its path matches. */
export const compileMask = (stage: MaskConfig, env: MaskEnvironment): CompiledStage => {
  const rules = stage.rules.map((rule) => ({ rule, segments: parsePath(rule.path) }));
  return {
    id: stage.id,
    type: 'mask',
    run: (item) => {
      // One shallow copy for the rules on top-level attributes (most rules); nested paths rewrite immutably.
      let out: Record<string, AttributeValue> = { ...item };
      for (const { rule, segments } of rules) {
        try {
          const only = segments.length === 1 ? segments[0]! : undefined;
          if (only?.kind === 'name') {
            const value = out[only.name];
            if (value === undefined) continue;
            const masked = maskValue(value, rule, env);
            if (masked === undefined) delete out[only.name];
            else out[only.name] = masked;
          } else {
            const next = rewritePath(out, segments, (value) => maskValue(value, rule, env));
            if (next !== out) out = { ...next };
          }
        } catch (cause) {
          // The cause may quote the value: keep its name only.
          throw new DynasyncError(
            ErrorCodes.pipelineMaskFailed,
            `mask stage "${stage.id}": ${rule.action} of "${rule.path}" failed (${cause instanceof Error ? cause.name : typeof cause})`,
            { payload: { stage: stage.id, path: rule.path, action: rule.action } },
          );
        }
      }
      return [out];
    },
  };
};
