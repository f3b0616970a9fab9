import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { renderConfusionMatrixPng } from './confusion-matrix-png';

describe('renderConfusionMatrixPng', () => {
  it('produces a valid PNG of the reported size, shaded by the row-normalised count', () => {
    const labels = ['yes', 'no', 'a-very-long-label-name-that-gets-truncated'];
    const { png, width, height } = renderConfusionMatrixPng({
      labels,
      matrix: [
        [9, 1, 0],
        [2, 8, 0],
        [0, 0, 0],
      ],
      title: 'keyword, test, epoch 3',
    });
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const decoded = PNG.sync.read(Buffer.from(png));
    expect([decoded.width, decoded.height]).toEqual([width, height]);
    expect(width).toBeGreaterThan(3 * 28);
    // the darkest pixel (a 90% cell) is darker than an empty-row cell, which stays white
    let darkest = 255;
    for (let offset = 0; offset < decoded.data.length; offset += 4) darkest = Math.min(darkest, decoded.data[offset] as number);
    expect(darkest).toBeLessThan(80);
  });

  it('is wide enough for its whole title, whatever the label count', () => {
    const title = 'speech_commands_keyword, validation, epoch 120 (fold 3, single-task baseline)';
    const { png, width } = renderConfusionMatrixPng({
      labels: ['a', 'b'],
      matrix: [
        [1, 0],
        [0, 1],
      ],
      title,
    });
    const decoded = PNG.sync.read(Buffer.from(png));
    // ink in the title's band reaches beyond the matrix's own width (2 cells), up to the title's end
    let rightmost = 0;
    for (let y = 0; y < 18; y++)
      for (let x = 0; x < width; x++) if ((decoded.data[(y * width + x) * 4] as number) < 128) rightmost = Math.max(rightmost, x);
    expect(rightmost).toBeGreaterThan(width - 20);
    expect(width).toBeGreaterThan(300);
  });

  it('rejects a matrix that does not match the labels', () => {
    expect(() => renderConfusionMatrixPng({ labels: ['a', 'b'], matrix: [[1, 2]] })).toThrow(/needs 2 rows of 2 counts/);
  });
});
