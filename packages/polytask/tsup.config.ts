import { definePackageBuild } from '../../tsup.config.base.ts';

export default definePackageBuild({ entry: ['src/index.ts', 'src/cli.ts', 'src/testing.ts', 'src/readme-sections.ts'] });
