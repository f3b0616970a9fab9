import { validateReaderOptions } from '@polytask/data-reading';
import { describe, expect, it } from 'vitest';
import { readerOptionsSchema } from './index';

const validate = (values: Record<string, unknown>) => () =>
  validateReaderOptions(values, { schema: readerOptionsSchema, reader: 'synthetic' });

describe('@polytask/dataset-synthetic options schema', () => {
  it('accepts the options of either corpus', () => {
    expect(validate({ directory: '/corpus', clipsPerSpeakerAndKeyword: 2 })).not.toThrow();
    expect(
      validate({ corpus: 'scenes', directory: '/corpus', clipsPerSiteAndScene: 2, sampleRate: 22050, seconds: 0.5, seed: 1 }),
    ).not.toThrow();
    expect(validate({ corpus: 'tones', directory: '/corpus', clipsPerSession: 4 })).not.toThrow();
  });

  it('rejects a misspelled option, naming the known options', () => {
    expect(validate({ directry: '/corpus' })).toThrow(
      /option "directry": unknown option; did you mean "directory"\? Known options: corpus \("voices" \| "scenes" \| "tones", default "voices"\), directory \(string, required\), clipsPerSpeakerAndKeyword \(integer, default 4\)/,
    );
  });

  it('rejects a corpus that does not exist, suggesting the nearest', () => {
    expect(validate({ corpus: 'voice', directory: '/corpus' })).toThrow(
      /corpus.*expected one of "voices", "scenes", "tones", got "voice"; did you mean "voices"\?/,
    );
  });
});
