import { describe, expect, it } from 'vitest';
import { damageWords } from './damage';

describe('damageWords', () => {
	it('lists the places, marks that there are more, and rounds what was lost', () => {
		expect(damageWords({ places: [7.2, 72], count: 2, seconds: 0.05 })).toEqual({
			places: '0:07, 1:12',
			seconds: '< 1'
		});
		expect(damageWords({ places: [1, 2, 3, 4, 5], count: 9, seconds: 12.6 })).toEqual({
			places: '0:01, 0:02, 0:03, 0:04, 0:05, …',
			seconds: '13'
		});
	});
});
