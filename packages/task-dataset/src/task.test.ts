import { InvalidArgumentError, ShapeMismatchError } from '@polytask/core';
import { describe, expect, it } from 'vitest';
import { createTask, huberLoss, meanAbsoluteError, meanSquaredError, type TaskLoss } from './task';

const keyword = createTask({ name: 'keyword', kind: 'multi-class', labels: ['yes', 'no', 'up'] });
const events = createTask({ name: 'events', kind: 'multi-label', labels: ['dog', 'car'], threshold: [0.3, 0.7] });
const spoof = createTask({ name: 'spoof', kind: 'binary', labels: ['genuine', 'spoof'] });

describe('createTask: translation of target rows to loss targets', () => {
  it('gives class indices for multi-class tasks', () => {
    expect([...keyword.toLossTargets(Uint8Array.from([0, 0, 1, 1, 0, 0]), 2)]).toEqual([2, 0]);
    expect(keyword.toLossTargets(Uint8Array.from([0, 1, 0]), 1)).toBeInstanceOf(Int32Array);
  });

  it('gives 0/1 floats for multi-label and binary tasks', () => {
    expect([...events.toLossTargets(Uint8Array.from([1, 1, 0, 1]), 2)]).toEqual([1, 1, 0, 1]);
    expect([...spoof.toLossTargets(Uint8Array.from([1, 0, 1]), 3)]).toEqual([1, 0, 1]);
  });

  it('rejects rows of the wrong size and multi-class rows with no label', () => {
    expect(() => keyword.toLossTargets(new Uint8Array(4), 2)).toThrow(ShapeMismatchError);
    expect(() => keyword.toLossTargets(new Uint8Array(3), 1)).toThrow(/no label set/);
  });
});

describe('createTask: decisions', () => {
  it('takes the argmax for multi-class tasks', () => {
    expect([...keyword.decide(Float32Array.from([0.2, 0.5, 0.3, 0.6, 0.3, 0.1]), 2)]).toEqual([0, 1, 0, 1, 0, 0]);
  });

  it('thresholds each column for multi-label tasks (per-label thresholds)', () => {
    expect([...events.decide(Float32Array.from([0.35, 0.65, 0.29, 0.7]), 2)]).toEqual([1, 0, 0, 1]);
  });

  it('thresholds at 0.5 by default for binary tasks', () => {
    expect([...spoof.decide(Float32Array.from([0.5, 0.49, 0.9]), 3)]).toEqual([1, 0, 1]);
  });

  it('accepts a custom decision function', () => {
    const strict = createTask({
      name: 'strict',
      kind: 'binary',
      labels: ['no', 'yes'],
      decide: (probabilities) => Uint8Array.from(probabilities, (value) => (value > 0.95 ? 1 : 0)),
    });
    expect([...strict.decide(Float32Array.from([0.9, 0.99]), 2)]).toEqual([0, 1]);
  });

  it('validates thresholds', () => {
    expect(() => createTask({ name: 'e', kind: 'multi-label', labels: ['a', 'b'], threshold: [0.5] })).toThrow(InvalidArgumentError);
    expect(() => createTask({ name: 'e', kind: 'multi-label', labels: ['a'], threshold: 1 })).toThrow(/strictly between 0 and 1/);
    expect(() => createTask({ name: 'k', kind: 'multi-class', labels: ['a', 'b'], threshold: 0.5 })).toThrow(/takes no threshold/);
  });
});

describe('createTask: losses on hand-computed values', () => {
  it('softmax cross-entropy over logits, averaged over rows', () => {
    // row 1: log(e^2 + e^1 + e^0) - 2 = 0.4076059644; row 2: log(3) - 0 with equal logits
    const loss = keyword.loss.compute(Float32Array.from([2, 1, 0, 0, 0, 0]), Int32Array.from([0, 1]), 2);
    expect(keyword.loss.name).toBe('softmax-cross-entropy');
    expect(loss).toBeCloseTo((0.4076059644 + Math.log(3)) / 2, 6);
  });

  it('sigmoid cross-entropy over logits, averaged over every value', () => {
    // logit 0 / target 1: log 2; logit 2 / target 0: 2 + log(1 + e^-2) = 2.1269280110
    const loss = events.loss.compute(Float32Array.from([0, 2]), Float32Array.from([1, 0]), 1);
    expect(events.loss.name).toBe('sigmoid-cross-entropy');
    expect(loss).toBeCloseTo((Math.LN2 + 2.126928011) / 2, 6);
    // stable for large logits
    expect(spoof.loss.compute(Float32Array.from([1000]), Float32Array.from([1]), 1)).toBe(0);
    expect(spoof.loss.compute(Float32Array.from([-1000]), Float32Array.from([1]), 1)).toBe(1000);
  });

  it('accepts a custom loss', () => {
    const meanAbsolute: TaskLoss = {
      name: 'mean-absolute',
      compute: (logits, targets) =>
        logits.reduce((sum, value, index) => sum + Math.abs(value - (targets[index] as number)), 0) / logits.length,
    };
    const task = createTask({ name: 'x', kind: 'multi-label', labels: ['a', 'b'], loss: meanAbsolute });
    expect(task.loss.compute(Float32Array.from([1, 0]), Float32Array.from([0, 0]), 1)).toBe(0.5);
  });

  it('derives the activation and output size from the kind', () => {
    expect([keyword.activation, events.activation, spoof.activation]).toEqual(['softmax', 'sigmoid', 'sigmoid']);
    expect([keyword.outputSize, events.outputSize, spoof.outputSize]).toEqual([3, 2, 1]);
  });
});

describe('createTask: regression', () => {
  const affect = createTask({ name: 'affect', kind: 'regression', outputs: ['valence', 'arousal'] });

  it('has one linear output per named output, mean squared error and no thresholds', () => {
    expect(affect.outputSize).toBe(2);
    expect(affect.labels).toEqual(['valence', 'arousal']);
    expect(affect.activation).toBe('linear');
    expect(affect.thresholds).toEqual([]);
    expect(affect.loss.name).toBe('mean-squared-error');
    expect(Array.from(affect.toLossTargets(Float32Array.of(0.5, -2, 3, 4), 2))).toEqual([0.5, -2, 3, 4]);
  });

  it('makes no decisions and takes no threshold', () => {
    expect(() => affect.decide(new Float32Array(2), 1)).toThrow(/makes no decisions/);
    expect(() => createTask({ name: 'age', kind: 'regression', threshold: 0.5 })).toThrow(/takes no threshold/);
  });

  it('computes MSE, MAE and Huber on hand-computed values', () => {
    // errors 0.5, -2, 0, 3: squares 0.25 + 4 + 0 + 9 = 13.25; absolutes 5.5; Huber 0.125 + 1.5 + 0 + 2.5 = 4.125
    const predictions = Float32Array.of(1.5, -1, 2, 7);
    const targets = Float32Array.of(1, 1, 2, 4);
    expect(meanSquaredError.compute(predictions, targets, 2)).toBeCloseTo(13.25 / 4, 6);
    expect(meanAbsoluteError.compute(predictions, targets, 2)).toBeCloseTo(5.5 / 4, 6);
    expect(huberLoss.compute(predictions, targets, 2)).toBeCloseTo(4.125 / 4, 6);
    expect(createTask({ name: 'age', kind: 'regression', loss: huberLoss }).loss).toBe(huberLoss);
  });
});
