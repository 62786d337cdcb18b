import { KairosError } from '../../core/errors.js';

/**
 * A malformed row: the message names the file, the 1-based line and the field.
 *
 * @example
 * throw new DataFormatError('orcl.txt', 17, 'close', '"abc" is not a number');
 * // orcl.txt:17: field "close": "abc" is not a number
 */
export class DataFormatError extends KairosError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string,
    problem: string,
  ) {
    super('DATA_FORMAT', `${file}:${line}: field "${field}": ${problem}`);
    this.name = 'DataFormatError';
  }
}
