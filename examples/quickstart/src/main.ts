/** Command-line entry of the quick start: `pnpm demo` at the repository root. */
import { PolytaskError } from 'polytask';
import { runQuickstart } from './quickstart';

try {
  const started = performance.now();
  await runQuickstart();
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  console.error(PolytaskError.isInstance(error) ? `polytask: ${error.message}` : error);
  process.exitCode = 1;
}
