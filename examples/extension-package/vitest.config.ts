import { definePolytaskProject } from '../../vitest.shared.ts';

export default definePolytaskProject('@example/extension-package', { testTimeout: 600_000 });
