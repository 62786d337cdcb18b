import { lambdaClient } from '../cloud/lambda/lambda-client.js';
import {
  deployFunction,
  listVersions,
  removeFunction,
  rollbackAlias,
  type DeployResult,
  type FunctionVersionInfo,
} from '../cloud/lambda/lambda-functions.js';
import type { Store } from '../store/open-store.js';
import type { Config } from './config.js';
import { deployDescription } from '../cloud/lambda/strategy-manifest.js';

/**
 * A function's published versions (`kairos strategy versions`): a read, so no store is opened
 * and nothing is audited, only the Lambda client made and ended.
 */
export async function functionVersions(
  config: Pick<Config, 'lambda'>,
  name: string,
): Promise<FunctionVersionInfo[]> {
  const client = lambdaClient(config.lambda);
  try {
    return await listVersions(client, name);
  } finally {
    client.destroy();
  }
}

/** Who makes a change (recorded in the audit log). */
export interface ChangeBy {
  readonly actor: string;
  readonly role: string;
}

/** What `kairos strategy deploy` sets. */
export interface DeployRequest {
  readonly file: string;
  readonly name: string;
  readonly exportName?: string;
  readonly role?: string;
  readonly memoryMb?: number;
  readonly timeoutS?: number;
  /** The server catalog's name of the strategy (a deploy over the API), recorded in the audit row. */
  readonly catalogName?: string;
}

/**
 * Strategies deployed as Lambda functions: deploy (package, create or update, publish, move
 * `live`), versions, rollback, remove. Every change is audited (`strategy.deployed`,
 * `strategy.rolled_back`, `strategy.removed`) right after AWS accepted it: the store is opened
 * before any AWS call, so a store that cannot be written stops the command before it changes
 * anything. The audit rows name the function, versions and code sha256, never a credential.
 *
 * @example
 * const d = new LambdaDeployments(config, store);
 * const r = await d.deploy({ file: 'sma-cross.ts', name: 'sma', role }, { actor: 'qa', role: 'cli' });
 */
export class LambdaDeployments {
  readonly #client;

  constructor(
    private readonly config: Config,
    private readonly store: Pick<Store, 'db'>,
  ) {
    this.#client = lambdaClient(config.lambda);
  }

  /** Ends the AWS client. */
  close(): void {
    this.#client.destroy();
  }

  async deploy(
    req: DeployRequest,
    by: ChangeBy,
  ): Promise<DeployResult & { strategy: string; zipSha256: string }> {
    // esbuild and the strategy loader only for a deploy (not a rollback or a removal).
    const { packageStrategy } = await import('./strategy-package.js');
    const pkg = await packageStrategy(req.file, `${this.config.home}/build`, req.exportName);
    const local = this.config.lambda.endpoint !== undefined;
    const r = await deployFunction(this.#client, {
      name: req.name,
      zip: pkg.zip,
      // `LAMBDA_ROLE_ARN` when no role is given; a local endpoint needs no real one.
      role:
        req.role ??
        this.config.lambda.role ??
        (local ? 'arn:aws:iam::000000000000:role/kairos-local' : undefined),
      ...(req.memoryMb !== undefined ? { memoryMb: req.memoryMb } : {}),
      ...(req.timeoutS !== undefined ? { timeoutS: req.timeoutS } : {}),
      description: deployDescription(pkg.manifest.strategy, pkg.zipSha256, pkg.manifest.sdkVersion),
    });
    await this.#audit(by, 'strategy.deployed', req.name, {
      strategy: pkg.manifest.strategy,
      version: r.version,
      previousVersion: r.previousVersion,
      created: r.created,
      zipSha256: pkg.zipSha256,
      codeSha256: pkg.manifest.codeSha256,
      sdkVersion: pkg.manifest.sdkVersion,
      ...(req.catalogName !== undefined ? { catalog: req.catalogName } : {}),
    });
    return { ...r, strategy: pkg.manifest.strategy, zipSha256: pkg.zipSha256 };
  }

  versions(name: string): Promise<FunctionVersionInfo[]> {
    return listVersions(this.#client, name);
  }

  async rollback(name: string, version: string, by: ChangeBy): Promise<string | null> {
    const from = await rollbackAlias(this.#client, name, version);
    await this.#audit(by, 'strategy.rolled_back', name, { from, to: version });
    return from;
  }

  async remove(name: string, by: ChangeBy): Promise<void> {
    await removeFunction(this.#client, name);
    await this.#audit(by, 'strategy.removed', name, {});
  }

  async #audit(by: ChangeBy, action: string, name: string, payload: Record<string, unknown>) {
    // Loaded here, not at the top: `kairos strategy versions` imports this module and audits
    // nothing (the repository brings kysely's 262 modules, ~0.4 s of a process's start).
    const { AuditRepository } = await import('../store/audit-repository.js');
    await new AuditRepository(this.store.db).append({
      ts: Date.now(),
      actor: by.actor,
      role: by.role,
      action,
      subject: `lambda:${name}`,
      // The region the SDK resolved (AWS_REGION, else the profile's), the function's.
      payload: { function: name, region: await this.#client.config.region(), ...payload },
    });
  }
}
