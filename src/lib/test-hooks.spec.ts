import { afterEach, describe, expect, it, vi } from 'vitest';
import { exposeForTests } from './test-hooks';

describe('exposeForTests', () => {
	afterEach(() => vi.unstubAllGlobals());

	it('installs a handle only in a browser under automation', () => {
		const page: Record<string, unknown> = {};
		vi.stubGlobal('window', page);
		vi.stubGlobal('navigator', { webdriver: false });
		exposeForTests('__cratemeshThing', 1);
		expect(page).toEqual({});
		vi.stubGlobal('navigator', { webdriver: true });
		exposeForTests('__cratemeshThing', 2);
		expect(page).toEqual({ __cratemeshThing: 2 });
	});
});
