/**
 * The threaded wasm backend starts every time, even on a busy machine: 100 fresh processes (on the
 * built package) start it while busy loops hold every core. Before its worker sources were written
 * once and atomically, about 4% of such starts never finished and the process exited with code 13.
 * Counted, not timed: each start has a generous limit only so that a hang is reported as one.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const script = `import { selectBackend } from ${JSON.stringify(built)};
const selection = await selectBackend({ preference: 'wasm', threads: 2, log: () => {} });
process.stdout.write(selection.summary);`;

let loops: ChildProcess[] = [];
beforeAll(() => {
  loops = Array.from({ length: os.availableParallelism() }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
});
afterAll(() => {
  for (const loop of loops) loop.kill('SIGKILL');
});

describe('the threaded wasm backend under load', () => {
  it('starts in 100 of 100 fresh processes while every core is busy', () => {
    const failures: string[] = [];
    for (let start = 0; start < 100; start++) {
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
      if (result.status !== 0 || !result.stdout.includes('SIMD, threaded, 2 threads'))
        failures.push(`start ${start + 1}: exit ${result.status} ${result.signal ?? ''} ${result.stderr.slice(0, 300)}`);
    }
    expect(failures).toEqual([]);
  }, 1_800_000);
});
