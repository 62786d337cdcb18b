import { alarmDefinitions } from '../../../src/monitoring/alarms.js';
import type { AlarmDefinitionLike } from './alarms.js';

/**
 * The alarms the service stack creates: `src/monitoring/alarms.ts`'s definitions, each naming a
 * metric of the metric catalogue, with their runbook paragraphs in `docs/operations.md`. The
 * stack sets the namespace and the deployment's dimensions (the ones the service's EMF lines
 * carry: `KAIROS_METRICS_DIMENSIONS`).
 */
export const ALARM_DEFINITIONS: readonly AlarmDefinitionLike[] = alarmDefinitions();
