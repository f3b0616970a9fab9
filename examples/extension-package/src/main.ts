/** `pnpm start`: runs experiment.json, whose model, loss combiner and sampler come from this package. */
import { loadExperimentConfig, PolytaskError, runExperiment } from 'polytask';

try {
  await runExperiment(loadExperimentConfig('experiment.json', process.argv.slice(2)));
} catch (error) {
  console.error(PolytaskError.isInstance(error) ? `polytask: ${error.message}` : error);
  process.exitCode = 1;
}
