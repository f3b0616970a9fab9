import { definePolytaskProject } from '../../vitest.shared.ts';

export default definePolytaskProject('polytask', { testTimeout: 600_000 });
