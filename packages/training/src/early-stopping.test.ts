import { defineTask } from '@polytask/core';
import { computeTaskMetrics, type EpochRecord } from '@polytask/results';
import { describe, expect, it } from 'vitest';
import { checkEarlyStoppingSpec, createEarlyStopping } from './early-stopping';

const task = (name: string) => defineTask({ name, kind: 'multi-class', labels: ['a', 'b'] });
function record(epoch: number, loss: number, taskLosses: Record<string, number>): EpochRecord {
  return {
    fold: 0,
    epoch,
    split: 'test',
    loss,
    tasks: Object.entries(taskLosses).map(([name, value]) =>
      computeTaskMetrics({ task: task(name), truth: Uint8Array.from([1, 0]), decisions: Uint8Array.from([1, 0]), loss: value }),
    ),
  };
}

describe('early stopping', () => {
  it('stops after `patience` epochs without an improvement larger than minDelta, remembering the best epoch', () => {
    const stopping = createEarlyStopping({ patience: 2, minDelta: 0.01 });
    const sequence = [1.0, 0.8, 0.795, 0.7, 0.71, 0.705, 0.69];
    const decisions = sequence.map((loss, index) => stopping.check(record(index + 1, loss, { a: loss })));
    expect(decisions.map((decision) => decision.improved)).toEqual([true, true, false, true, false, false, false]);
    expect(decisions.map((decision) => decision.stop)).toEqual([false, false, false, false, false, true, true]);
    expect(stopping.toJSON().bestEpoch).toEqual({ global: 4 });
  });

  it('watches a task metric where higher is better', () => {
    const stopping = createEarlyStopping({ metric: 'loss', task: 'a', patience: 1 });
    expect(stopping.check(record(1, 9, { a: 0.5 })).improved).toBe(true);
    expect(stopping.check(record(2, 9, { a: 0.6 })).stop).toBe(true);
    const byAccuracy = createEarlyStopping({ metric: 'accuracy', task: 'a', patience: 1 });
    expect(byAccuracy.check(record(1, 1, { a: 1 })).improved).toBe(true);
    expect(() => createEarlyStopping({ metric: 'macro.nothing', task: 'a' }).check(record(1, 1, { a: 1 }))).toThrow(
      /has no numeric metric "macro.nothing"/,
    );
  });

  it('watches R² of a regression task as higher-is-better and its errors as lower-is-better, and checks the metric exists', () => {
    const level = defineTask({ name: 'level', kind: 'regression', outputs: ['value'] });
    const truth = Float32Array.of(0, 1, 2, 3);
    const at = (epoch: number, offset: number): EpochRecord => ({
      fold: 0,
      epoch,
      split: 'validation',
      loss: 1,
      tasks: [computeTaskMetrics({ task: level, truth, predictions: truth.map((value) => value + offset) })],
    });
    // offsets shrink, then grow: R² and MSE both improve twice, then stall
    const byR2 = createEarlyStopping({ metric: 'r2', task: 'level', patience: 2 });
    const byError = createEarlyStopping({ metric: 'meanSquaredError', task: 'level', patience: 2 });
    const offsets = [1, 0.5, 0.25, 0.5, 0.75];
    expect(offsets.map((offset, index) => byR2.check(at(index + 1, offset)).improved)).toEqual([true, true, true, false, false]);
    expect(offsets.map((offset, index) => byError.check(at(index + 1, offset)).improved)).toEqual([true, true, true, false, false]);
    expect(byR2.toJSON().bestEpoch).toEqual({ global: 3 });
    expect(() => checkEarlyStoppingSpec({ metric: 'r2', task: 'level' }, [level])).not.toThrow();
    expect(() => checkEarlyStoppingSpec({ metric: 'accuracy', task: 'level' }, [level])).toThrow(
      /Regression task "level" has no numeric metric "accuracy"; use loss, r2/,
    );
    expect(() => checkEarlyStoppingSpec({ metric: 'r2', task: 'a' }, [task('a')])).toThrow(/no numeric metric "r2"/);
  });

  it('treats the equal error rate and min-DCF of a binary task as lower-is-better', () => {
    const spoof = defineTask({ name: 'spoof', kind: 'binary', labels: ['bonafide', 'spoof'] });
    const binaryRecord = (epoch: number, scores: number[]): EpochRecord => ({
      fold: 0,
      epoch,
      split: 'test',
      loss: 1,
      tasks: [
        computeTaskMetrics({
          task: spoof,
          truth: Uint8Array.from([0, 0, 1, 1]),
          decisions: Uint8Array.from([0, 0, 1, 1]),
          scores: Float32Array.from(scores),
        }),
      ],
    });
    for (const metric of ['equalErrorRate', 'minDetectionCost']) {
      const stopping = createEarlyStopping({ metric, task: 'spoof', patience: 1 });
      expect(stopping.check(binaryRecord(1, [0.6, 0.1, 0.4, 0.9])).improved).toBe(true);
      // perfectly separated: both error measures fall to 0
      expect(stopping.check(binaryRecord(2, [0.2, 0.1, 0.4, 0.9])).improved).toBe(true);
      expect(stopping.check(binaryRecord(3, [0.6, 0.1, 0.4, 0.9])).stop).toBe(true);
    }
  });

  it('per task: freezes each task whose metric stalls, stops when all are frozen, and survives a save', () => {
    const stopping = createEarlyStopping({ mode: 'per-task', patience: 1 });
    stopping.check(record(1, 2, { a: 1, b: 1 }));
    expect(stopping.check(record(2, 2, { a: 1.1, b: 0.9 })).frozen).toEqual(['a']);
    const restored = createEarlyStopping({ mode: 'per-task', patience: 1 }, JSON.parse(JSON.stringify(stopping.toJSON())));
    expect(restored.frozen()).toEqual(['a']);
    const last = restored.check(record(3, 2, { a: 2, b: 0.95 }));
    expect(last.frozen).toEqual(['a', 'b']);
    expect(last.stop).toBe(true);
  });
});
