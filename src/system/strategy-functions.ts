import type { FunctionVersionInfo } from '../cloud/lambda/lambda-functions.js';
import type { Store } from '../store/open-store.js';
import { KairosError } from '../trading/core/errors.js';
import type { Config } from './config.js';
import type { FileCatalog } from './file-catalog.js';
import type { ChangeBy, LambdaDeployments } from './lambda-deployments.js';

/** A Lambda function name: Lambda's rule for a bare name. */
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The function of a request: the one it names, else the strategy's catalog name. */
function functionOf(name: string, given: string | undefined): string {
  if (given !== undefined) return given;
  if (!FUNCTION_NAME.test(name))
    throw new KairosError(
      'VALIDATION',
      `body.function: required, since the strategy name ${JSON.stringify(name)} is not a Lambda function name (1-64 letters, digits, - or _)`,
    );
  return name;
}

/** What a deploy over the API did. */
export interface CatalogDeployment {
  readonly function: string;
  readonly strategy: string;
  readonly created: boolean;
  readonly version: string;
  readonly previousVersion: string | null;
  readonly zipSha256: string;
}

/**
 * The server's catalog strategies as Lambda functions (`POST /strategies/{name}/deploy`,
 * `.../versions`, `.../rollback`): the same `LambdaDeployments` as `kairos strategy deploy`
 * (package, create or update, publish, then move `live`; audited the same way), fed only files
 * of the server's catalog, never code from a client. The IAM role is the server's
 * (`LAMBDA_ROLE_ARN`), never the caller's. Changes to one function run one at a time here (two
 * deploys of the same function would race on `live`); another server's are Lambda's
 * `LAMBDA_CONFLICT`. The AWS SDK loads at the first call.
 *
 * @example
 * const fns = new StrategyFunctions(config, store, catalog);
 * await fns.deploy('sma-cross', { function: 'sma' }, { actor: 'quinn', role: 'quant' });
 */
export class StrategyFunctions {
  #deployments: Promise<LambdaDeployments> | undefined;
  readonly #tails = new Map<string, Promise<unknown>>();

  constructor(
    private readonly config: Config,
    private readonly store: Pick<Store, 'db'>,
    private readonly catalog: FileCatalog,
  ) {}

  async deploy(
    name: string,
    req: { readonly function?: string; readonly memoryMb?: number; readonly timeoutS?: number },
    by: ChangeBy,
  ): Promise<CatalogDeployment> {
    const file = await this.catalog.resolve(name);
    const fn = functionOf(name, req.function);
    const d = await this.#deploymentsOf();
    const r = await this.#serial(fn, () =>
      d.deploy(
        {
          file,
          name: fn,
          catalogName: name,
          ...(req.memoryMb !== undefined ? { memoryMb: req.memoryMb } : {}),
          ...(req.timeoutS !== undefined ? { timeoutS: req.timeoutS } : {}),
        },
        by,
      ),
    );
    return {
      function: r.name,
      strategy: r.strategy,
      created: r.created,
      version: r.version,
      previousVersion: r.previousVersion,
      zipSha256: r.zipSha256,
    };
  }

  async versions(
    name: string,
    given: string | undefined,
  ): Promise<{ function: string; versions: FunctionVersionInfo[] }> {
    await this.catalog.resolve(name);
    const fn = functionOf(name, given);
    return { function: fn, versions: await (await this.#deploymentsOf()).versions(fn) };
  }

  async rollback(
    name: string,
    given: string | undefined,
    version: string,
    by: ChangeBy,
  ): Promise<{ function: string; from: string | null }> {
    await this.catalog.resolve(name);
    const fn = functionOf(name, given);
    const d = await this.#deploymentsOf();
    return { function: fn, from: await this.#serial(fn, () => d.rollback(fn, version, by)) };
  }

  /** Ends the AWS client (when one was made). */
  async close(): Promise<void> {
    const d = this.#deployments;
    this.#deployments = undefined;
    if (d) (await d.catch(() => null))?.close();
  }

  #deploymentsOf(): Promise<LambdaDeployments> {
    return (this.#deployments ??= import('./lambda-deployments.js').then(
      (m) => new m.LambdaDeployments(this.config, this.store),
    ));
  }

  /** Runs `work` after every earlier change of `fn` here has ended. */
  async #serial<T>(fn: string, work: () => Promise<T>): Promise<T> {
    const before = this.#tails.get(fn) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(work);
    const tail = run.catch(() => undefined);
    this.#tails.set(fn, tail);
    try {
      return await run;
    } finally {
      if (this.#tails.get(fn) === tail) this.#tails.delete(fn);
    }
  }
}
