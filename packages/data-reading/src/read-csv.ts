/**
 * Reads a corpus metadata table (CSV, or another delimiter) into records, checking the
 * columns a reader needs; a missing file or column is a typed error naming it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { DataFormatError, MissingFileError } from '@polytask/core';

/** Options of {@link readCsv}. */
export interface ReadCsvOptions {
  /** Columns that must be present (in the header, or in `columns` for header-less files). */
  readonly requiredColumns: readonly string[];
  /** Column names of a file without a header row. */
  readonly columns?: readonly string[];
  /** @default ',' */
  readonly delimiter?: string | RegExp;
}

function splitLine(line: string, delimiter: string | RegExp): string[] {
  if (delimiter !== ',') return line.split(delimiter).map((value) => value.trim());
  // quoted fields may hold commas
  const values: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < line.length; index++) {
    const character = line[index] as string;
    if (character === '"') {
      if (quoted && line[index + 1] === '"') {
        current += '"';
        index++;
      } else quoted = !quoted;
    } else if (character === ',' && !quoted) {
      values.push(current);
      current = '';
    } else current += character;
  }
  values.push(current);
  return values.map((value) => value.trim());
}

/**
 * Parses `path` into one record per data row.
 * @throws MissingFileError when the file is absent; DataFormatError naming a missing column or a short row.
 */
export function readCsv(path: string, options: ReadCsvOptions): Record<string, string>[] {
  if (!existsSync(path))
    throw new MissingFileError({ path, message: `${path} is missing; point the reader at the corpus root that contains it.` });
  const delimiter = options.delimiter ?? ',';
  const lines = readFileSync(path, 'utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
  const header = options.columns ? [...options.columns] : splitLine(lines.shift() ?? '', delimiter);
  const missing = options.requiredColumns.filter((column) => !header.includes(column));
  if (missing.length > 0) {
    throw new DataFormatError({
      path,
      message: `${path} has no column ${missing.map((column) => `"${column}"`).join(', ')}; its columns are ${header.join(', ')}.`,
      context: { missing },
    });
  }
  return lines.map((line, index) => {
    const values = splitLine(line, delimiter);
    if (values.length < header.length) {
      throw new DataFormatError({
        path,
        message: `${path}: row ${index + (options.columns ? 1 : 2)} has ${values.length} values, the header ${header.length}: "${line}".`,
      });
    }
    return Object.fromEntries(header.map((column, position) => [column, values[position] as string]));
  });
}

/**
 * Throws MissingFileError for the first item file that does not exist (checking every path).
 * @example assertFilesExist(items.map((item) => item.path), 'ESC-50')
 */
export function assertFilesExist(paths: readonly string[], corpus: string): void {
  const missing = paths.filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new MissingFileError({
      path: missing[0] as string,
      message: `${corpus}: ${missing.length} audio file(s) listed in the metadata are missing, first ${missing[0]}; is the corpus complete and the path right?`,
    });
  }
}
