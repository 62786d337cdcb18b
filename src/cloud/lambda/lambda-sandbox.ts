import { Worker } from 'node:worker_threads';

/** What one invocation of a sandboxed handler gave. */
export type SandboxResult =
  | { readonly ok: true; readonly payload: string }
  | { readonly ok: false; readonly errorType: string; readonly errorMessage: string };

// The worker's code (CommonJS, evaluated): imports the handler file once and answers each
// message with its handler's result, or the error it threw, as JSON text.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
const loaded = import(pathToFileURL(workerData.file).href);
parentPort.on('message', async ({ id, payload }) => {
  try {
    const mod = await loaded;
    const fn = mod[workerData.export];
    if (typeof fn !== 'function') throw Object.assign(new Error('handler ' + workerData.export + ' is not exported'), { name: 'Runtime.HandlerNotFound' });
    const result = await fn(JSON.parse(payload), { functionName: workerData.name, functionVersion: workerData.version });
    parentPort.postMessage({ id, ok: true, payload: JSON.stringify(result === undefined ? null : result) });
  } catch (e) {
    parentPort.postMessage({ id, ok: false, errorType: (e && e.name) || 'Error', errorMessage: String((e && e.message) || e) });
  }
});
`;

/**
 * One function version's handler in a worker thread, like a warm Lambda container: one
 * invocation at a time (the others wait their turn), each under the function's timeout, in a
 * heap capped at its memory size. A timeout or running out of memory ends the worker (the next
 * invocation starts a fresh one) and answers `Sandbox.Timedout` / `Runtime.OutOfMemory`. The
 * worker gets an environment of its own (the function's name and version only): nothing of the
 * server's, so no credential reaches it.
 *
 * @example
 * const box = new LambdaSandbox({ file: '/tmp/fn/index.mjs', export: 'handler', name: 'sma', version: '1', timeoutS: 3, memoryMb: 256 });
 * const r = await box.invoke('{"v":1}');
 */
export class LambdaSandbox {
  #worker: Worker | null = null;
  #turn: Promise<unknown> = Promise.resolve();
  #next = 0;

  constructor(
    private readonly fn: {
      readonly file: string;
      readonly export: string;
      readonly name: string;
      readonly version: string;
      readonly timeoutS: number;
      readonly memoryMb: number;
    },
  ) {}

  /** Runs the handler on `payload` (JSON text) once the invocations before it are done. */
  invoke(payload: string): Promise<SandboxResult> {
    const run = this.#turn.then(() => this.#invoke(payload));
    this.#turn = run.catch(() => undefined);
    return run;
  }

  /** Ends the worker. */
  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = null;
    if (w) await w.terminate();
  }

  #start(): Worker {
    const { fn } = this;
    const w = new Worker(WORKER, {
      eval: true,
      workerData: { file: fn.file, export: fn.export, name: fn.name, version: fn.version },
      env: { AWS_LAMBDA_FUNCTION_NAME: fn.name, AWS_LAMBDA_FUNCTION_VERSION: fn.version },
      resourceLimits: { maxOldGenerationSizeMb: fn.memoryMb },
      stdout: false,
      stderr: false,
    });
    w.unref();
    return w;
  }

  #invoke(payload: string): Promise<SandboxResult> {
    const worker = (this.#worker ??= this.#start());
    const id = ++this.#next;
    return new Promise<SandboxResult>((resolve) => {
      const done = (r: SandboxResult, kill: boolean) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (kill) {
          if (this.#worker === worker) this.#worker = null;
          void worker.terminate();
        }
        resolve(r);
      };
      const onMessage = (m: { id: number } & SandboxResult) => {
        if (m.id !== id) return;
        done(
          m.ok
            ? { ok: true, payload: m.payload }
            : { ok: false, errorType: m.errorType, errorMessage: m.errorMessage },
          false,
        );
      };
      const onError = (e: Error & { code?: string }) =>
        done(
          e.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? {
                ok: false,
                errorType: 'Runtime.OutOfMemory',
                errorMessage: `Runtime exited: out of memory (${this.fn.memoryMb} MB)`,
              }
            : { ok: false, errorType: e.name || 'Error', errorMessage: e.message },
          true,
        );
      const onExit = (code: number) =>
        done(
          {
            ok: false,
            errorType: 'Runtime.ExitError',
            errorMessage: `Runtime exited with ${code}`,
          },
          true,
        );
      const timer = setTimeout(
        () =>
          done(
            {
              ok: false,
              errorType: 'Sandbox.Timedout',
              errorMessage: `Task timed out after ${this.fn.timeoutS.toFixed(2)} seconds`,
            },
            true,
          ),
        this.fn.timeoutS * 1000,
      );
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ id, payload });
    });
  }
}
