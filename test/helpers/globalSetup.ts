import 'vitest';
import type { TestProject } from 'vitest/node';
import { type LocalDynamo, startLocalDynamo } from '../../tools/localDynamo.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoints of the two DynamoDB Local instances ("regions") this test run started. */
    dynamoEndpoints: [string, string];
  }
}

/** Starts two DynamoDB Local instances for the whole run and ends them, by their process ids, after it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const instances: LocalDynamo[] = await Promise.all([startLocalDynamo(), startLocalDynamo()]);
  project.provide('dynamoEndpoints', [instances[0]!.endpoint, instances[1]!.endpoint]);
  return async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
  };
}
