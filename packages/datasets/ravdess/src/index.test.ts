import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';
import { validateReaderOptions } from '@polytask/data-reading';
import { afterAll, describe, expect, it } from 'vitest';
import { createRavdessReader, readerOptionsSchema } from './index';
import { writeRavdessFixture } from './testing';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-ravdess-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const fixture = (name: string) => writeRavdessFixture({ directory: path.join(root, name), actorCount: 2, seconds: 0.05 });

describe('@polytask/dataset-ravdess', () => {
  it('refuses to be created without its directory, naming the option, and records its options for the cache key', () => {
    expect(() => createRavdessReader({} as never)).toThrow(InvalidArgumentError);
    expect(() => createRavdessReader({} as never)).toThrow(/ravdess reader option "directory": required option missing/);
    expect(createRavdessReader({ directory: 'corpus' }).options).toMatchObject({ directory: path.resolve('corpus') });
  });

  it('decodes the file-name fields into emotion, intensity and gender, with the actor as group', async () => {
    const items = await createRavdessReader({ directory: fixture('corpus') }).listItems();
    // per actor: 8 speech emotions and 6 song emotions, each at normal and (but neutral) strong intensity
    expect(items).toHaveLength(2 * (15 + 11));
    const rows = items.map((item) => [item.id, item.labels, item.group, item.metadata?.channel]);
    expect(rows.slice(0, 3)).toEqual([
      ['Actor_01/03-01-01-01-01-01-01.wav', { emotion: 'neutral', intensity: 'normal', gender: 'male' }, 'Actor_01', 'speech'],
      ['Actor_01/03-01-02-01-01-01-01.wav', { emotion: 'calm', intensity: 'normal', gender: 'male' }, 'Actor_01', 'speech'],
      ['Actor_01/03-01-02-02-01-01-01.wav', { emotion: 'calm', intensity: 'strong', gender: 'male' }, 'Actor_01', 'speech'],
    ]);
    expect(rows).toContainEqual([
      'Actor_02/03-02-06-02-01-01-02.wav',
      { emotion: 'fearful', intensity: 'strong', gender: 'female' },
      'Actor_02',
      'song',
    ]);
    expect(rows).toContainEqual([
      'Actor_02/03-01-08-01-01-01-02.wav',
      { emotion: 'surprised', intensity: 'normal', gender: 'female' },
      'Actor_02',
      'speech',
    ]);
  });

  it('reads one channel, and the song folder spelled "actors" as some copies unpack it', async () => {
    const directory = fixture('lower-case');
    expect(await createRavdessReader({ directory, channels: ['song'] }).listItems()).toHaveLength(2 * 11);
    renameSync(path.join(directory, 'Audio_Song_Actors_01-24'), path.join(directory, 'Audio_Song_actors_01-24'));
    expect(await createRavdessReader({ directory, channels: ['song'] }).listItems()).toHaveLength(2 * 11);
  });

  it('in emotion mode reads every file with the emotion task alone', async () => {
    const reader = createRavdessReader({ directory: fixture('emotion'), mode: 'emotion' });
    expect(reader.name).toBe('ravdess-emotion');
    expect(reader.tasks.map((task) => task.name)).toEqual(['emotion']);
    const items = await reader.listItems();
    expect(items).toHaveLength(2 * (15 + 11));
    expect(items[2]).toMatchObject({ id: 'Actor_01/03-01-02-02-01-01-01.wav', labels: { emotion: 'calm' }, group: 'Actor_01' });
    expect(Object.keys(items[2]?.labels ?? {})).toEqual(['emotion']);
  });

  it('in stress mode reads only neutral and fearful files as one binary task, each cut to its first 1.28 s', async () => {
    const directory = writeRavdessFixture({ directory: path.join(root, 'stress'), actorCount: 2, seconds: 1.5, channels: ['speech'] });
    const reader = createRavdessReader({ directory, channels: ['speech'], mode: 'stress' });
    expect(reader.name).toBe('ravdess-speech-stress');
    expect(createRavdessReader({ directory, mode: 'stress' }).name).toBe('ravdess-stress');
    expect(reader.tasks).toEqual([{ name: 'stress', kind: 'binary', labels: ['neutral', 'stressed'] }]);
    const items = await reader.listItems();
    // per actor: neutral at normal intensity, fearful at normal and strong
    expect(items.map((item) => [item.id, item.labels, item.group])).toEqual([
      ['Actor_01/03-01-01-01-01-01-01.wav', { stress: 'neutral' }, 'Actor_01'],
      ['Actor_01/03-01-06-01-01-01-01.wav', { stress: 'stressed' }, 'Actor_01'],
      ['Actor_01/03-01-06-02-01-01-01.wav', { stress: 'stressed' }, 'Actor_01'],
      ['Actor_02/03-01-01-01-01-01-02.wav', { stress: 'neutral' }, 'Actor_02'],
      ['Actor_02/03-01-06-01-01-01-02.wav', { stress: 'stressed' }, 'Actor_02'],
      ['Actor_02/03-01-06-02-01-01-02.wav', { stress: 'stressed' }, 'Actor_02'],
    ]);
    const audio = await reader.readAudio?.(items[1] as (typeof items)[number]);
    expect(audio?.sampleRate).toBe(48000);
    expect(audio?.channels[0]?.length).toBe(Math.floor(1.28 * 48000));
    expect(createRavdessReader({ directory, channels: ['speech'] }).readAudio).toBeUndefined();
  });

  it('names a missing folder or a malformed file name', async () => {
    await expect(createRavdessReader({ directory: path.join(root, 'none'), channels: ['speech'] }).listItems()).rejects.toThrow(
      /Audio_Speech_Actors_01-24 is missing/,
    );
    const directory = fixture('malformed');
    writeFileSync(path.join(directory, 'Audio_Speech_Actors_01-24', 'Actor_01', '03-01-05.wav'), '');
    await expect(createRavdessReader({ directory, channels: ['speech'] }).listItems()).rejects.toThrow(
      /03-01-05\.wav: a RAVDESS file name has 7 two-digit fields/,
    );
  });
});

describe('@polytask/dataset-ravdess options schema', () => {
  it('accepts the documented options', () => {
    expect(() => validateReaderOptions({ directory: '/corpus' }, { schema: readerOptionsSchema, reader: 'ravdess' })).not.toThrow();
  });

  it('rejects a misspelled option, naming the known options', () => {
    expect(() =>
      validateReaderOptions({ directory: '/corpus', channel: true }, { schema: readerOptionsSchema, reader: 'ravdess' }),
    ).toThrow(
      /option "channel": unknown option; did you mean "channels"\? Known options: directory \(string, required\), channels \(list of "speech" \| "song", default \["speech","song"\]\), mode \("standard" \| "emotion" \| "stress", default "standard"\)\.$/,
    );
  });

  it('rejects an option value of the wrong type or outside the accepted ones', () => {
    expect(() =>
      validateReaderOptions({ directory: 'a', channels: ['speach'] }, { schema: readerOptionsSchema, reader: 'ravdess' }),
    ).toThrow(/channels.*did you mean "speech"/);
    expect(() => validateReaderOptions({ directory: 'a', mode: 'stres' }, { schema: readerOptionsSchema, reader: 'ravdess' })).toThrow(
      /mode.*did you mean "stress"/,
    );
  });
});
