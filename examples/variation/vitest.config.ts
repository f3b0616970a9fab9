import { definePolytaskProject } from '../../vitest.shared.ts';

export default definePolytaskProject('@example/variation', { testTimeout: 600_000 });
