import { definePolytaskProject } from '../../vitest.shared.ts';

export default definePolytaskProject('@example/quickstart', { testTimeout: 120_000 });
