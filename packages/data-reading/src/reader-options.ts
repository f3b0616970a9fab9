/**
 * The schema a reader package exports for the options of its `createReader(options)`: each
 * option's name, type, whether it is required, its default and a one-line description. Hosts
 * such as the polytask CLI check a config's options against it before creating the reader,
 * so a misspelled option is an error naming the known ones instead of being ignored.
 */
import { InvalidArgumentError } from '@polytask/core';
import { closestName } from './internal/closest-name';

/** The JSON type of an option's value. */
export type ReaderOptionType = 'string' | 'number' | 'integer' | 'boolean' | 'string-list';

/** One option of a reader. */
export interface ReaderOptionField {
  /** The type of its value (`string-list`: an array of strings). */
  readonly type: ReaderOptionType;
  /** One line: what the option does. */
  readonly description: string;
  /** Whether it must be given. @default false */
  readonly required?: boolean;
  /** The value the reader uses when the option is left out (documentation: the reader applies it). */
  readonly default?: unknown;
  /** The accepted values (of each item, for `string-list`); any value of the type when absent. */
  readonly values?: readonly (string | number)[];
}

/** The options a reader package's `createReader` accepts; export it as `readerOptionsSchema`. */
export interface ReaderOptionsSchema {
  /** Contract version. */
  readonly specificationVersion: 'v1';
  /** Every option by name. */
  readonly options: Readonly<Record<string, ReaderOptionField>>;
}

/** The option types that fit a TypeScript value type. */
type ReaderOptionTypeOf<Value> = Value extends boolean
  ? 'boolean'
  : Value extends string
    ? 'string'
    : Value extends number
      ? 'number' | 'integer'
      : Value extends readonly string[]
        ? 'string-list'
        : ReaderOptionType;

/**
 * A field for every key of `Options`: `type` must fit the key's TypeScript type and `required: true`
 * is needed exactly on the keys that are not optional, so the schema cannot drift from the interface.
 */
export type ReaderOptionFields<Options> = {
  readonly [Key in keyof Options]-?: ReaderOptionField & {
    readonly type: ReaderOptionTypeOf<NonNullable<Options[Key]>>;
  } & (object extends Pick<Options, Key> ? { readonly required?: false } : { readonly required: true });
};

/**
 * Declares a reader's options schema; pass the options interface as the type argument so the
 * compiler checks the schema against it.
 * @example
 * export const readerOptionsSchema = defineReaderOptions<Esc50ReaderOptions>({
 *   directory: { type: 'string', required: true, description: 'Corpus root holding meta/esc50.csv and audio/.' },
 *   esc10: { type: 'boolean', default: false, description: 'Only the ESC-10 subset.' },
 * });
 */
export function defineReaderOptions<Options extends object>(options: ReaderOptionFields<Options>): ReaderOptionsSchema {
  const fields: Record<string, ReaderOptionField> = {};
  for (const [name, field] of Object.entries(options) as [string, ReaderOptionField][]) fields[name] = Object.freeze({ ...field });
  return Object.freeze({ specificationVersion: 'v1', options: Object.freeze(fields) });
}

/** True when `value` is a reader options schema this version understands (a reader package's `readerOptionsSchema`). */
export function isReaderOptionsSchema(value: unknown): value is ReaderOptionsSchema {
  const candidate = value as Partial<ReaderOptionsSchema> | null | undefined;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.specificationVersion === 'v1' &&
    typeof candidate.options === 'object' &&
    candidate.options !== null
  );
}

/** One problem with a reader's options. */
export interface ReaderOptionIssue {
  /** The option's name. */
  readonly option: string;
  /** `unknown`: no such option; `missing`: a required option is absent; `invalid`: wrong type or value. */
  readonly problem: 'unknown' | 'missing' | 'invalid';
  /** The value given (`undefined` when missing). */
  readonly value: unknown;
  /** What is wrong and what is accepted, without the option's location. */
  readonly message: string;
}

const typeNames: Readonly<Record<ReaderOptionType, string>> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  'string-list': 'a list of strings',
};

/** `directory (string, required), esc10 (boolean, default false)`. */
function describeOptions(schema: ReaderOptionsSchema): string {
  const described = Object.entries(schema.options).map(([name, field]) => {
    const details = [
      field.values
        ? `${field.type === 'string-list' ? 'list of ' : ''}${field.values.map((value) => JSON.stringify(value)).join(' | ')}`
        : field.type,
      field.required ? 'required' : field.default === undefined ? 'optional' : `default ${JSON.stringify(field.default)}`,
    ];
    return `${name} (${details.join(', ')})`;
  });
  return described.length > 0 ? described.join(', ') : 'none';
}

function hasType(value: unknown, type: ReaderOptionType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'string-list':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
  }
}

/** Why `value` does not fit `field`, or `undefined` when it does. */
function invalidReason(value: unknown, field: ReaderOptionField): string | undefined {
  const got = `got ${JSON.stringify(value)}`;
  if (!hasType(value, field.type)) return `expected ${typeNames[field.type]}, ${got}.`;
  const accepted = field.values;
  if (!accepted) return undefined;
  const items = field.type === 'string-list' ? (value as readonly string[]) : [value as string | number];
  const wrong = items.find((item) => !accepted.includes(item));
  if (wrong === undefined) return undefined;
  const suggestion = typeof wrong === 'string' ? closestName(wrong, accepted.map(String)) : undefined;
  const list = accepted.map((item) => JSON.stringify(item)).join(', ');
  const reason = `expected ${field.type === 'string-list' ? 'items' : 'one'} of ${list}, ${got}`;
  return suggestion === undefined ? `${reason}.` : `${reason}; did you mean "${suggestion}"?`;
}

/**
 * Every problem of `values` against `schema`: unknown options first (with a did-you-mean), then
 * missing required ones, then values of the wrong type or outside the accepted values.
 * @returns an empty array when the options are valid.
 */
export function findReaderOptionIssues(values: Readonly<Record<string, unknown>>, schema: ReaderOptionsSchema): ReaderOptionIssue[] {
  const known = Object.keys(schema.options);
  const unknown: ReaderOptionIssue[] = [];
  const missing: ReaderOptionIssue[] = [];
  const invalid: ReaderOptionIssue[] = [];
  for (const [option, value] of Object.entries(values)) {
    if (Object.hasOwn(schema.options, option)) continue;
    const suggestion = closestName(option, known);
    unknown.push({
      option,
      problem: 'unknown',
      value,
      message: `unknown option${suggestion === undefined ? '.' : `; did you mean "${suggestion}"?`} Known options: ${describeOptions(schema)}.`,
    });
  }
  for (const [option, field] of Object.entries(schema.options)) {
    const value = values[option];
    if (value === undefined) {
      if (field.required)
        missing.push({
          option,
          problem: 'missing',
          value,
          message: `required option missing: ${field.description.replace(/\.$/, '')} (${typeNames[field.type]}).`,
        });
      continue;
    }
    const reason = invalidReason(value, field);
    if (reason !== undefined) invalid.push({ option, problem: 'invalid', value, message: reason });
  }
  return [...unknown, ...missing, ...invalid];
}

/** Options of {@link validateReaderOptions}. */
export interface ValidateReaderOptionsOptions {
  /** The reader package's `readerOptionsSchema`. */
  readonly schema: ReaderOptionsSchema;
  /** The reader's name for the message, e.g. `esc50`. */
  readonly reader: string;
}

/**
 * Checks a reader's options against its schema.
 * @throws InvalidArgumentError for the first problem, naming the option, the known options and a did-you-mean.
 * @example validateReaderOptions({ directry: 'data/ESC-50' }, { schema: readerOptionsSchema, reader: 'esc50' }) // throws
 */
export function validateReaderOptions(values: Readonly<Record<string, unknown>>, options: ValidateReaderOptionsOptions): void {
  const [issue] = findReaderOptionIssues(values, options.schema);
  if (!issue) return;
  throw new InvalidArgumentError({
    argument: issue.option,
    value: issue.value,
    message: `${options.reader} reader option "${issue.option}": ${issue.message}`,
  });
}

/**
 * A reader's options as a Markdown table (option, type, default or `required`, description), for its
 * README: scripts/generate-reader-docs.mjs writes it between the README's `options` markers.
 */
export function readerOptionsMarkdown(schema: ReaderOptionsSchema): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const rows = Object.entries(schema.options).map(([name, field]) => {
    const type = field.values ? `${field.type}: ${field.values.map((value) => JSON.stringify(value)).join(' \\| ')}` : field.type;
    const fallback = field.required ? 'required' : field.default === undefined ? '' : `\`${JSON.stringify(field.default)}\``;
    return `| \`${name}\` | ${type} | ${cell(fallback)} | ${cell(field.description)} |`;
  });
  return ['| option | type | default | description |', '|---|---|---|---|', ...rows].join('\n');
}
