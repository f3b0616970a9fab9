import type { EpochRecord, TaskMetrics } from '@polytask/results';
import { describe, expect, it } from 'vitest';
import { epochProgress } from './epoch-progress';

const record = (split: EpochRecord['split'], loss: number, tasks: TaskMetrics[] = []): EpochRecord => ({
  fold: 0,
  epoch: 1,
  split,
  loss,
  tasks,
  seconds: 2.25,
});

describe('epochProgress', () => {
  it('says the epoch, the losses, the validation headlines and the seconds, never the test part', async () => {
    const lines: string[] = [];
    const observer = epochProgress({
      label: 'fold 1/3 multi-task',
      epochs: 20,
      log: (line) => lines.push(line),
      describe: (metrics) => `${metrics.task} ok`,
      intervalMs: 0,
    });
    const task = { task: 'keyword' } as TaskMetrics;
    await observer.onEpochEnd?.({
      fold: 0,
      epoch: 4,
      train: record('train', 0.51234),
      validation: record('validation', 0.6, [task]),
      test: record('test', 0.7, [{ task: 'secret' } as TaskMetrics]),
    });
    expect(lines).toEqual(['fold 1/3 multi-task epoch 4/20: train loss 0.5123, validation loss 0.6000, keyword ok, 2.3 s']);
  });

  it('stays quiet until the interval has passed', async () => {
    const lines: string[] = [];
    const observer = epochProgress({ label: 'u', epochs: 2, log: (line) => lines.push(line), describe: () => '', intervalMs: 60_000 });
    await observer.onTrainingStart?.({ fold: 0, epoch: 0 });
    await observer.onEpochEnd?.({ fold: 0, epoch: 1, train: record('train', 1) });
    expect(lines).toEqual([]);
  });
});
