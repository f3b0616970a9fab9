import { definePolytaskProject } from '../../vitest.shared.ts';

export default definePolytaskProject('@example/quickstart', { testTimeout: 600_000 });
