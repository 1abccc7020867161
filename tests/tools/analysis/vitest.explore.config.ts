// Algorithm exploration in Node (not part of `npm test`):
//   npx vitest run --config tests/tools/analysis/vitest.explore.config.ts
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	root: fileURLToPath(new URL('../../..', import.meta.url)),
	test: { include: ['tests/tools/analysis/*.explore.ts'], environment: 'node', testTimeout: 600000 }
});
