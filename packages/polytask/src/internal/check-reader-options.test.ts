import { ConfigError } from '@polytask/core';
import { type DataReader, defineReaderOptions } from '@polytask/data-reading';
import { describe, expect, it, vi } from 'vitest';
import { loadReader } from '../run-experiment';

const fakeReader: DataReader = { specificationVersion: 'v1', name: 'fake', tasks: [], listItems: async () => [] };
const readerOptionsSchema = defineReaderOptions<{ directory: string; esc10?: boolean }>({
  directory: { type: 'string', required: true, description: 'Corpus root' },
  esc10: { type: 'boolean', default: false, description: 'Only the ESC-10 subset' },
});
const entry = (options: Record<string, unknown>) => ({ reader: 'fake', options });

describe('reader options in loadReader', () => {
  it("checks the options against the package's schema before creating the reader", async () => {
    const createReader = vi.fn(() => fakeReader);
    const importReader = async () => ({ createReader, readerOptionsSchema });
    await expect(loadReader(entry({ directory: 'a', esc10: true }), { index: 0, importReader })).resolves.toBe(fakeReader);
    const failure = await loadReader(entry({ directry: 'a' }), { index: 2, importReader }).catch((error: unknown) => error);
    expect(ConfigError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ configPath: 'datasets.2.options.directry', context: { value: 'a' } });
    expect((failure as Error).message).toBe(
      'datasets.2.options.directry (reader "fake"): unknown option; did you mean "directory"? ' +
        'Known options: directory (string, required), esc10 (boolean, default false).',
    );
    await expect(loadReader(entry({ directory: 'a', esc10: 'yes' }), { index: 0, importReader })).rejects.toThrow(
      /^datasets\.0\.options\.esc10 \(reader "fake"\): expected true or false, got "yes"\.$/,
    );
    await expect(loadReader(entry({}), { index: 0, importReader })).rejects.toThrow(
      /datasets\.0\.options\.directory .*required option missing/,
    );
    expect(createReader).toHaveBeenCalledTimes(1);
  });

  it('loads a reader package without a schema, with a one-line warning', async () => {
    const lines: string[] = [];
    const importReader = async () => ({ createReader: () => fakeReader });
    await expect(loadReader(entry({ anything: 1 }), { index: 1, importReader, log: (line) => lines.push(line) })).resolves.toBe(fakeReader);
    expect(lines).toEqual([
      'warning: @polytask/dataset-fake exports no readerOptionsSchema; datasets.1.options are passed to its createReader unchecked.',
    ]);
  });
});
