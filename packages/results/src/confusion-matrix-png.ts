/**
 * Renders a confusion matrix as a labelled PNG heat map (pngjs, pure JS): rows are the true
 * labels, columns the predicted ones (column names written vertically), cells shaded by the
 * row-normalised count and printed with the count.
 */
import { InvalidArgumentError } from '@polytask/core';
import { PNG } from 'pngjs';
import { glyphHeight, glyphPixels, glyphWidths } from './internal/bitmap-font';

const pixels = Uint8Array.from(Buffer.from(glyphPixels, 'base64'));
const glyphOffsets = (() => {
  const offsets: number[] = [];
  let offset = 0;
  for (const width of glyphWidths) {
    offsets.push(offset);
    offset += width * glyphHeight;
  }
  return offsets;
})();

type Color = readonly [number, number, number];

interface Canvas {
  readonly png: PNG;
  fill(x: number, y: number, width: number, height: number, color: Color): void;
  text(value: string, x: number, y: number, color: Color, vertical?: boolean): void;
}

function textWidth(value: string): number {
  let width = 0;
  for (const character of value) width += glyphWidths[(character.codePointAt(0) ?? 63) - 32] ?? 6;
  return width;
}

function createCanvas(width: number, height: number): Canvas {
  const png = new PNG({ width, height });
  png.data.fill(255);
  const set = (xPosition: number, yPosition: number, [red, green, blue]: Color) => {
    const x = Math.round(xPosition);
    const y = Math.round(yPosition);
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const offset = (y * width + x) * 4;
    png.data[offset] = red;
    png.data[offset + 1] = green;
    png.data[offset + 2] = blue;
    png.data[offset + 3] = 255;
  };
  return {
    png,
    fill(x, y, w, h, color) {
      for (let row = y; row < y + h; row++) for (let column = x; column < x + w; column++) set(column, row, color);
    },
    text(value, x, y, color, vertical = false) {
      let cursor = 0;
      for (const character of value) {
        let code = (character.codePointAt(0) ?? 63) - 32;
        if (code < 0 || code >= glyphWidths.length) code = 31; // '?'
        const glyphWidth = glyphWidths[code] as number;
        const base = glyphOffsets[code] as number;
        for (let row = 0; row < glyphHeight; row++) {
          for (let column = 0; column < glyphWidth; column++) {
            if (!pixels[base + row * glyphWidth + column]) continue;
            // vertical text reads bottom to top
            if (vertical) set(x + row, y - cursor - column, color);
            else set(x + cursor + column, y + row, color);
          }
        }
        cursor += glyphWidth;
      }
    },
  };
}

const truncate = (label: string, pixelsWide: number) => {
  let result = label;
  while (result.length > 1 && textWidth(result) > pixelsWide) result = result.slice(0, -1);
  return result === label ? label : `${result.slice(0, -1)}~`;
};

/** Options of {@link renderConfusionMatrixPng}. */
export interface ConfusionMatrixPngOptions {
  /** Label names, in matrix order. */
  readonly labels: readonly string[];
  /** Counts `[true][predicted]`. */
  readonly matrix: readonly (readonly number[])[];
  /** Heading drawn above the matrix. */
  readonly title?: string;
}

/**
 * Draws the matrix; returns the PNG bytes and its size.
 * @example const { png, width, height } = renderConfusionMatrixPng({ labels, matrix: metrics.confusion, title: 'keyword, test, epoch 3' })
 */
export function renderConfusionMatrixPng(options: ConfusionMatrixPngOptions): { png: Uint8Array; width: number; height: number } {
  const { labels, matrix } = options;
  const size = labels.length;
  if (size === 0 || matrix.length !== size || matrix.some((row) => row.length !== size)) {
    throw new InvalidArgumentError({
      argument: 'matrix',
      value: matrix.length,
      message: `A confusion matrix of ${size} labels needs ${size} rows of ${size} counts.`,
    });
  }
  const largest = Math.max(1, ...matrix.flat());
  const cell = Math.max(28, textWidth(String(largest)) + 8);
  const labelWidth = Math.min(160, Math.max(...labels.map(textWidth))) + 8;
  const titleHeight = options.title ? glyphHeight + 10 : 4;
  const left = labelWidth + glyphHeight + 8;
  const top = titleHeight + labelWidth + 4;
  // wide enough for the whole title (a 2-label task's plot would otherwise cut `keyword, test, epoch 3`)
  const width = Math.max(left + size * cell + 8, options.title ? textWidth(options.title) + 8 : 0);
  const height = top + size * cell + glyphHeight + 12;
  const canvas = createCanvas(width, height);
  const ink: Color = [20, 20, 20];
  if (options.title) canvas.text(options.title, 4, 4, ink);
  canvas.text('predicted', left, height - glyphHeight - 4, ink);
  canvas.text('true', 2, top + textWidth('true') + 2, ink, true);
  labels.forEach((label, index) => {
    const shown = truncate(label, labelWidth - 8);
    canvas.text(shown, left - 4 - textWidth(shown), top + index * cell + (cell - glyphHeight) / 2, ink);
    canvas.text(shown, left + index * cell + (cell - glyphHeight) / 2, top - 4, ink, true);
  });
  matrix.forEach((row, actual) => {
    const total = row.reduce((sum, value) => sum + value, 0);
    row.forEach((count, predicted) => {
      const share = total === 0 ? 0 : count / total;
      const color: Color = [Math.round(255 - 215 * share), Math.round(255 - 175 * share), Math.round(255 - 75 * share)];
      const x = left + predicted * cell;
      const y = top + actual * cell;
      canvas.fill(x, y, cell - 1, cell - 1, color);
      const value = String(count);
      canvas.text(value, x + (cell - textWidth(value)) / 2, y + (cell - glyphHeight) / 2, share > 0.55 ? [255, 255, 255] : ink);
    });
  });
  const png = PNG.sync.write(canvas.png);
  return { png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength), width, height };
}
