import { definePackageBuild } from '../../tsup.config.base.ts';

export default definePackageBuild();
