/**
 * Checks a config entry's reader options against the reader package's `readerOptionsSchema`
 * before the reader is created, so a misspelled or mistyped option is a ConfigError at its path
 * in the config instead of being ignored.
 */
import { ConfigError } from '@polytask/core';
import { findReaderOptionIssues, isReaderOptionsSchema } from '@polytask/data-reading';

/** What {@link checkReaderOptions} checks. */
export interface ReaderOptionsCheck {
  /** The reader name of the entry, e.g. `esc50`. */
  readonly reader: string;
  /** The entry's `options`. */
  readonly options: Readonly<Record<string, unknown>>;
  /** The entry's path in the config, e.g. `datasets.0` or `training.augmentations.1.corpus`. */
  readonly entryPath: string;
  /** The loaded reader package. */
  readonly readerPackage: { readonly readerOptionsSchema?: unknown };
  /** Receives the warning about a package without a schema. */
  readonly log: (line: string) => void;
}

/**
 * Validates the options of one `datasets` entry; a reader package without a schema (third-party)
 * gets a one-line warning and its options pass unchecked.
 * @throws ConfigError at `<entryPath>.options.<option>` for an unknown option (naming the known
 * ones and the nearest), a missing required one, or a value of the wrong type.
 */
export function checkReaderOptions(check: ReaderOptionsCheck): void {
  const { reader, entryPath, readerPackage } = check;
  const schema = readerPackage.readerOptionsSchema;
  if (!isReaderOptionsSchema(schema)) {
    const found = schema === undefined ? 'exports no readerOptionsSchema' : 'exports a readerOptionsSchema this polytask cannot read';
    check.log(`warning: @polytask/dataset-${reader} ${found}; ${entryPath}.options are passed to its createReader unchecked.`);
    return;
  }
  const [issue] = findReaderOptionIssues(check.options, schema);
  if (!issue) return;
  const configPath = `${entryPath}.options.${issue.option}`;
  throw new ConfigError({ configPath, value: issue.value, message: `${configPath} (reader "${reader}"): ${issue.message}` });
}
