/** Command-line entry of the quick start: `pnpm demo` at the repository root. */
import { PolytaskError } from '@polytask/core';
import { runQuickstart } from './quickstart';

try {
  const { losses } = await runQuickstart();
  const first = losses[0] ?? Number.NaN;
  const last = losses.at(-1) ?? Number.NaN;
  console.log(`loss fell from ${first.toFixed(4)} to ${last.toFixed(4)}`);
  if (!(last < first)) process.exitCode = 1;
} catch (error) {
  console.error(PolytaskError.isInstance(error) ? `polytask: ${error.message}` : error);
  process.exitCode = 1;
}
