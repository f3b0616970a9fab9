import { describe, expect, it } from 'vitest';
import { runQuickstart } from './quickstart';

describe('quick start', () => {
  it('trains both heads on the chosen backend and the loss falls', async () => {
    const lines: string[] = [];
    const result = await runQuickstart({ epochs: 8, exampleCount: 256, log: (line) => lines.push(line) });
    expect(['tensorflow', 'wasm', 'cpu']).toContain(result.backend.backend);
    expect(lines[0]).toMatch(/^polytask: backend /);
    expect(result.losses).toHaveLength(8);
    expect(result.losses.at(-1)).toBeLessThan((result.losses[0] as number) * 0.7);
    expect(result.accuracy.keyword).toBeGreaterThan(0.6);
    expect(result.accuracy.speaker).toBeGreaterThan(0.6);
  });
});
