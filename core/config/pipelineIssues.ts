import type { z } from 'zod';
import { decodeAttributeValue } from '../codec.js';
import { DynasyncError } from '../errors.js';
import type { configSchema } from './schema.js';
import type { ConfigIssue } from './types.js';

/** Mask actions allowed on a key attribute: deterministic and injective, so deletes and updates find the masked key. */
export const KEY_SAFE_ACTIONS: readonly string[] = ['tokenize', 'hash'];

/** A map wildcard after the first segment (`byEmail.*`, `a.*.b`): the names it passes over stay clear. */
const MAP_WILDCARD = /\.\*(?=$|[.[])/;

/** First segment of an attribute path (`contacts[*].email` → `contacts`). */
const topName = (path: string): string => path.split(/[.[]/, 1)[0] ?? path;

/**
 * Cross-field checks of `pipelines`: peers that exist and receive changes, unique stage ids, key
 * attributes masked only deterministically, condition values that are AttributeValues, and no
 * masking or mapping in active-active (a masked replica that writes would ship masked values back).
 */
export const pipelineIssues = (config: z.output<typeof configSchema>): ConfigIssue[] => {
  const issues: ConfigIssue[] = [];
  const names = Object.keys(config.regions);
  const receivers = new Set(config.topology.type === 'one-way' ? config.topology.to : names);
  for (const [peer, pipeline] of Object.entries(config.pipelines)) {
    const at = `pipelines.${peer}`;
    if (!names.includes(peer)) {
      issues.push({ path: at, message: `"${peer}" is not a key of "regions" (${names.join(', ')})` });
      continue;
    }
    if (!receivers.has(peer))
      issues.push({
        path: at,
        message: `"${peer}" receives no changes in this topology; a pipeline applies to a peer that is shipped to`,
      });
    const ids = new Set<string>();
    pipeline.stages.forEach((stage, index) => {
      const stageAt = `${at}.stages[${index}]`;
      if (ids.has(stage.id))
        issues.push({
          path: `${stageAt}.id`,
          message: `stage id "${stage.id}" is used twice in this pipeline`,
        });
      ids.add(stage.id);
      if (config.topology.type === 'active-active' && stage.type !== 'filter')
        issues.push({
          path: `${stageAt}.type`,
          message: `a ${stage.type} stage needs a one-way topology: in active-active the peer's own writes would ship ${stage.type === 'mask' ? 'masked' : 'mapped'} items back; use filters only`,
        });
      if (stage.type === 'mask') {
        stage.rules.forEach((rule, ruleIndex) => {
          const name = topName(rule.path);
          const touchesKey = name === '*' ? pipeline.key.length > 0 : pipeline.key.includes(name);
          if (MAP_WILDCARD.test(rule.path) && rule.action !== 'drop' && rule.mapKeys !== 'clear')
            issues.push({
              path: `${stageAt}.rules[${ruleIndex}].mapKeys`,
              message: `"${rule.path}" goes through a map wildcard: its values are masked, but map keys are never masked, so the members' names reach ${peer} in clear. If those names are not personal data, add "mapKeys": "clear"; if they are, mask the whole map (path "${rule.path.slice(0, rule.path.search(MAP_WILDCARD))}", e.g. tokenize or encrypt), drop its members (action "drop"), or key the data by a list instead`,
            });
          if (touchesKey && !KEY_SAFE_ACTIONS.includes(rule.action))
            issues.push({
              path: `${stageAt}.rules[${ruleIndex}].action`,
              message: `"${rule.path}" reaches a key attribute (${pipeline.key.join(', ')}); a key may only be masked with ${KEY_SAFE_ACTIONS.join(' or ')}, so deletes and updates still find it`,
            });
        });
      }
      if (stage.type === 'filter') {
        stage.where.forEach((condition, conditionIndex) => {
          if (condition.op !== 'equals' && condition.op !== 'notEquals') return;
          try {
            decodeAttributeValue(condition.value, 'value');
          } catch (error) {
            if (!(error instanceof DynasyncError)) throw error;
            issues.push({
              path: `${stageAt}.where[${conditionIndex}].value`,
              message: `not a DynamoDB AttributeValue in JSON form (like {"S":"active"} or {"N":"3"}): ${error.message}`,
            });
          }
        });
      }
    });
  }
  return issues;
};
