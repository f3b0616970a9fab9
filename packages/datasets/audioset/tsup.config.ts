import { definePackageBuild } from '../../../tsup.config.base.ts';

export default definePackageBuild({ entry: ['src/index.ts', 'src/testing.ts'] });
