import { InvalidArgumentError } from '@polytask/core';
import { describe, expect, it } from 'vitest';
import {
  defineReaderOptions,
  findReaderOptionIssues,
  isReaderOptionsSchema,
  readerOptionsMarkdown,
  validateReaderOptions,
} from './reader-options';

interface ExampleOptions {
  readonly directory: string;
  readonly esc10?: boolean;
  readonly variant?: 35 | 12;
  readonly channels?: readonly ('speech' | 'song')[];
}

const schema = defineReaderOptions<ExampleOptions>({
  directory: { type: 'string', required: true, description: 'Corpus root' },
  esc10: { type: 'boolean', default: false, description: 'Only the ESC-10 subset' },
  variant: { type: 'integer', values: [35, 12], default: 35, description: 'Word count' },
  channels: { type: 'string-list', values: ['speech', 'song'], default: ['speech', 'song'], description: 'Channels' },
});

describe('reader options schema', () => {
  it('is frozen, versioned and recognised', () => {
    expect(schema.specificationVersion).toBe('v1');
    expect(Object.isFrozen(schema.options)).toBe(true);
    expect(Object.keys(schema.options)).toEqual(['directory', 'esc10', 'variant', 'channels']);
    expect(isReaderOptionsSchema(schema)).toBe(true);
    expect(isReaderOptionsSchema({ directory: 'string' })).toBe(false);
    expect(isReaderOptionsSchema(undefined)).toBe(false);
  });

  it('checks against the options interface at compile time', () => {
    // @ts-expect-error a required option must say required: true
    defineReaderOptions<{ directory: string }>({ directory: { type: 'string', description: 'd' } });
    // @ts-expect-error the type must fit the interface
    defineReaderOptions<{ directory: string }>({ directory: { type: 'boolean', required: true, description: 'd' } });
    // @ts-expect-error every option of the interface needs a field
    defineReaderOptions<{ directory: string; esc10?: boolean }>({ directory: { type: 'string', required: true, description: 'd' } });
  });

  it('accepts valid options', () => {
    expect(findReaderOptionIssues({ directory: 'a', esc10: true, variant: 12, channels: ['song'] }, schema)).toEqual([]);
    expect(() => validateReaderOptions({ directory: 'a' }, { schema, reader: 'example' })).not.toThrow();
  });

  it('names a misspelled option, suggests the nearest and lists the known ones', () => {
    const [issue] = findReaderOptionIssues({ directry: 'a' }, schema);
    expect(issue).toMatchObject({ option: 'directry', problem: 'unknown', value: 'a' });
    expect(issue?.message).toBe(
      'unknown option; did you mean "directory"? Known options: directory (string, required), esc10 (boolean, default false), ' +
        'variant (35 | 12, default 35), channels (list of "speech" | "song", default ["speech","song"]).',
    );
    expect(findReaderOptionIssues({ directory: 'a', frobnicate: 1 }, schema)[0]?.message).toMatch(
      /^unknown option\. Known options: directory/,
    );
  });

  it('reports unknown options before the required option they were meant to be', () => {
    expect(findReaderOptionIssues({ Directory: 'a' }, schema).map((issue) => [issue.option, issue.problem])).toEqual([
      ['Directory', 'unknown'],
      ['directory', 'missing'],
    ]);
    expect(findReaderOptionIssues({}, schema)[0]?.message).toBe('required option missing: Corpus root (a string).');
  });

  it('rejects wrong types and values outside the accepted ones', () => {
    const messages = (values: Record<string, unknown>) =>
      findReaderOptionIssues({ directory: 'a', ...values }, schema).map((issue) => `${issue.option}: ${issue.message}`);
    expect(messages({ esc10: 'yes' })).toEqual(['esc10: expected true or false, got "yes".']);
    expect(messages({ variant: 12.5 })).toEqual(['variant: expected an integer, got 12.5.']);
    expect(messages({ variant: 30 })).toEqual(['variant: expected one of 35, 12, got 30.']);
    expect(messages({ channels: ['speach'] })).toEqual([
      'channels: expected items of "speech", "song", got ["speach"]; did you mean "speech"?',
    ]);
    expect(messages({ channels: 'speech' })).toEqual(['channels: expected a list of strings, got "speech".']);
    expect(messages({ directory: null })).toEqual(['directory: expected a string, got null.']);
  });

  it('throws InvalidArgumentError naming the reader and the option', () => {
    const error = (() => {
      try {
        validateReaderOptions({ directry: 'a' }, { schema, reader: 'esc50' });
      } catch (caught) {
        return caught;
      }
    })();
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ argument: 'directry', value: 'a' });
    expect((error as Error).message).toMatch(
      /^esc50 reader option "directry": unknown option; did you mean "directory"\? Known options: directory/,
    );
  });
});

describe('readerOptionsMarkdown', () => {
  it('lists every option with its type, values, default or required, and description', () => {
    const schema = defineReaderOptions<{ directory: string; variant?: string; limit?: number }>({
      directory: { type: 'string', required: true, description: 'Corpus root' },
      variant: { type: 'string', values: ['a', 'b'], default: 'a', description: 'Which | part' },
      limit: { type: 'integer', description: 'At most this many' },
    });
    expect(readerOptionsMarkdown(schema).split('\n')).toEqual([
      '| option | type | default | description |',
      '|---|---|---|---|',
      '| `directory` | string | required | Corpus root |',
      '| `variant` | string: "a" \\| "b" | `"a"` | Which \\| part |',
      '| `limit` | integer |  | At most this many |',
    ]);
  });
});
