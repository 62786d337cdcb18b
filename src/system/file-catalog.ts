import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { KairosError } from '../trading/core/errors.js';

/** One name segment: a letter or digit first, then letters, digits, `.`, `_`, `-` (no `..`). */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** What a catalog holds: its errors name the request field and the missing-file code. */
export interface CatalogKind {
  /** The request field that names an entry (`strategy`, `data`). */
  readonly field: string;
  /** The file suffixes an entry may have (`.ts`; `.json`, `.csv`, …). */
  readonly suffixes: readonly string[];
  /** Strategies: the name without the suffix; data: the file name as it is. */
  readonly stripSuffix: boolean;
  /** Folders deep (0: files at the top only). */
  readonly depth: number;
  readonly notFound: 'STRATEGY_NOT_FOUND' | 'DATA_NOT_FOUND';
}

/**
 * A folder of files the server offers by name (strategies, data files). A name can never leave
 * the folder: each `/`-separated segment must match a strict pattern (no `..`, no absolute path,
 * no backslash) and the real path, symbolic links resolved, must lie inside the real folder.
 *
 * @example
 * const strategies = new FileCatalog('var/strategies', { field: 'strategy', suffixes: ['.ts'], stripSuffix: true, depth: 0, notFound: 'STRATEGY_NOT_FOUND' });
 * const file = await strategies.resolve('sma-cross'); // '/abs/var/strategies/sma-cross.ts'
 */
export class FileCatalog {
  readonly dir: string;

  constructor(
    dir: string,
    private readonly kind: CatalogKind,
  ) {
    this.dir = path.resolve(dir);
  }

  /** Every entry's name, sorted (an absent folder is an empty catalog). */
  async list(): Promise<string[]> {
    const names: string[] = [];
    const walk = async (rel: string, depth: number): Promise<void> => {
      let entries;
      try {
        entries = await readdir(path.join(this.dir, rel), { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (!SEGMENT.test(e.name)) continue;
        const name = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory() && depth > 0) await walk(name, depth - 1);
        else if (e.isFile() && this.#suffix(e.name) !== undefined) names.push(this.#name(name));
      }
    };
    await walk('', this.kind.depth);
    return names.sort();
  }

  /**
   * The absolute file of `name`: `CATALOG_NAME_INVALID` (naming the field and the rule) when the
   * name breaks the pattern or leads outside the folder; the kind's not-found code when absent.
   */
  async resolve(name: string): Promise<string> {
    const { field } = this.kind;
    const segments = name.split('/');
    if (
      name.length > 200 ||
      segments.length > this.kind.depth + 1 ||
      !segments.every((s) => SEGMENT.test(s) && !s.includes('..'))
    ) {
      throw new KairosError(
        'CATALOG_NAME_INVALID',
        `${field}: must be a name from the catalog (${this.kind.depth > 0 ? 'up to ' + (this.kind.depth + 1) + ' segments of ' : ''}letters, digits, ".", "_", "-", starting with a letter or digit; no "..")`,
      );
    }
    const file = path.join(
      this.dir,
      this.kind.stripSuffix ? `${name}${this.kind.suffixes[0]}` : name,
    );
    if (!this.kind.stripSuffix && this.#suffix(name) === undefined) {
      throw new KairosError(
        'CATALOG_NAME_INVALID',
        `${field}: must end with one of ${this.kind.suffixes.join(', ')}`,
      );
    }
    let real: string;
    try {
      real = await realpath(file);
      if (!(await stat(real)).isFile()) throw new Error('not a file');
    } catch {
      throw new KairosError(this.kind.notFound, `${field}: "${name}" is not in the catalog`);
    }
    // A symbolic link that points out of the folder is refused like a bad name.
    const root = await realpath(this.dir);
    if (!real.startsWith(root + path.sep)) {
      throw new KairosError(
        'CATALOG_NAME_INVALID',
        `${field}: "${name}" leads outside the catalog`,
      );
    }
    return real;
  }

  /** The strategy catalog: `<name>.ts` files at the top of `dir`. */
  static strategies(dir: string): FileCatalog {
    return new FileCatalog(dir, {
      field: 'strategy',
      suffixes: ['.ts'],
      stripSuffix: true,
      depth: 0,
      notFound: 'STRATEGY_NOT_FOUND',
    });
  }

  /** The data catalog: bar and trade files, named by their path up to two folders deep. */
  static data(dir: string): FileCatalog {
    return new FileCatalog(dir, {
      field: 'data',
      suffixes: ['.json', '.json.gz', '.csv', '.csv.gz', '.txt', '.txt.gz'],
      stripSuffix: false,
      depth: 2,
      notFound: 'DATA_NOT_FOUND',
    });
  }

  #suffix(file: string): string | undefined {
    return this.kind.suffixes.find((s) => file.endsWith(s) && file.length > s.length);
  }

  #name(rel: string): string {
    const s = this.#suffix(rel);
    return this.kind.stripSuffix && s ? rel.slice(0, -s.length) : rel;
  }
}
