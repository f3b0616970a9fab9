/** What a run logged for TensorBoard, in a form two runs can be compared by, for this package's tests (not exported). */
import path from 'node:path';
import { readTensorBoardLog } from '@polytask/results/testing';

/**
 * Every TensorBoard run of a run folder (`tensorboard/<run>`): per tag, the scalar points
 * `[step, value]` and the other summaries' steps; the HParams experiments, session starts (group
 * and hparams) and ends (statuses); and whether a file ends damaged. Wall times, file names and
 * session times are left out: they differ between any two runs.
 */
export function tensorBoardContents(runDirectory: string) {
  return Object.fromEntries(
    Object.entries(readTensorBoardLog(path.join(runDirectory, 'tensorboard'))).map(([run, log]) => [
      run,
      {
        // a gradient combiner's overhead/* scalars are measurements, like wall times
        scalars: Object.fromEntries(Object.entries(log.scalars).filter(([tag]) => !tag.startsWith('overhead/'))),
        steps: log.steps,
        experiments: log.experiments,
        sessionStarts: log.sessionStarts,
        sessionEnds: log.sessionEnds,
        damaged: log.damaged,
      },
    ]),
  );
}
