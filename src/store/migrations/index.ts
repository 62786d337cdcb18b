import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-risk-events.js';
import * as m0003 from './0003-audit.js';
import * as m0004 from './0004-snapshot-random.js';
import * as m0005 from './0005-identity.js';
import * as m0006 from './0006-strategy-jobs.js';
import * as m0007 from './0007-owner-keys.js';
import * as m0008 from './0008-audit-wall-time.js';
import * as m0009 from './0009-strategy-runtime.js';
import * as m0010 from './0010-accounts.js';
import * as m0011 from './0011-leases.js';
import * as m0012 from './0012-user-kill-switch.js';
import * as m0013 from './0013-strategy-instrument.js';
import * as m0014 from './0014-journal-write-cost.js';
import * as m0015 from './0015-ledger-checkpoints.js';
import * as m0016 from './0016-snapshot-events-through.js';

/** Every migration, in order. Listed statically so bundles and Lambda packages carry them. */
export const migrations: MigrationProvider = {
  getMigrations: async (): Promise<Record<string, Migration>> => ({
    '0001-initial': m0001,
    '0002-risk-events': m0002,
    '0003-audit': m0003,
    '0004-snapshot-random': m0004,
    '0005-identity': m0005,
    '0006-strategy-jobs': m0006,
    '0007-owner-keys': m0007,
    '0008-audit-wall-time': m0008,
    '0009-strategy-runtime': m0009,
    '0010-accounts': m0010,
    '0011-leases': m0011,
    '0012-user-kill-switch': m0012,
    '0013-strategy-instrument': m0013,
    '0014-journal-write-cost': m0014,
    '0015-ledger-checkpoints': m0015,
    '0016-snapshot-events-through': m0016,
  }),
};
