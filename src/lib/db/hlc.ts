/**
 * Hybrid logical clock stamps for library sync: physical milliseconds + a counter + a node id, encoded
 * as a fixed-width string so that string order is stamp order (IndexedDB indexes and `<` compare them
 * directly). 9 base-36 digits of ms (until the year 5138), 4 of counter, 12 hex of node.
 */

export type Hlc = string;

const MS_DIGITS = 9;
const COUNTER_DIGITS = 4;
const NODE_DIGITS = 12;
export const HLC_LENGTH = MS_DIGITS + COUNTER_DIGITS + NODE_DIGITS;
const MAX_COUNTER = 36 ** COUNTER_DIGITS - 1;
export const HLC_PATTERN = /^[0-9a-z]{13}[0-9a-f]{12}$/;

export interface HlcParts {
	ms: number;
	counter: number;
	node: string;
}

export function encodeHlc({ ms, counter, node }: HlcParts): Hlc {
	return (
		Math.max(0, Math.floor(ms)).toString(36).padStart(MS_DIGITS, '0') +
		counter.toString(36).padStart(COUNTER_DIGITS, '0') +
		node
	);
}

export function decodeHlc(stamp: Hlc): HlcParts {
	return {
		ms: parseInt(stamp.slice(0, MS_DIGITS), 36),
		counter: parseInt(stamp.slice(MS_DIGITS, MS_DIGITS + COUNTER_DIGITS), 36),
		node: stamp.slice(MS_DIGITS + COUNTER_DIGITS)
	};
}

export const isHlc = (value: unknown): value is Hlc => typeof value === 'string' && HLC_PATTERN.test(value);

export function randomNode(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(NODE_DIGITS / 2));
	return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The larger of two stamps ('' is below every stamp). */
export const maxHlc = (a: Hlc, b: Hlc): Hlc => (a > b ? a : b);

/**
 * One clock per page. `now()` is strictly increasing even if the wall clock steps back (the physical part
 * never decreases; the counter breaks ties); `observe()` moves it past a stamp seen from elsewhere, so an
 * edit made after seeing a change always wins over it, whatever the two devices' clocks say.
 */
export class HlcClock {
	#ms = 0;
	#counter = 0;
	constructor(
		readonly node: string = randomNode(),
		readonly wall: () => number = () => Date.now()
	) {
		if (!/^[0-9a-f]{12}$/.test(node)) throw new Error('HLC node must be 12 hex digits');
	}

	now(): Hlc {
		const wall = this.wall();
		if (wall > this.#ms) {
			this.#ms = wall;
			this.#counter = 0;
		} else this.#tick();
		return encodeHlc({ ms: this.#ms, counter: this.#counter, node: this.node });
	}

	/** Never returns a stamp at or below `stamp` afterwards. */
	observe(stamp: Hlc): void {
		if (!isHlc(stamp)) return;
		const { ms, counter } = decodeHlc(stamp);
		if (ms > this.#ms) {
			this.#ms = ms;
			this.#counter = counter;
		} else if (ms === this.#ms && counter > this.#counter) this.#counter = counter;
	}

	#tick(): void {
		if (this.#counter < MAX_COUNTER) this.#counter++;
		else {
			// 1.7 million stamps in one millisecond: borrow the next millisecond rather than wrap.
			this.#ms++;
			this.#counter = 0;
		}
	}
}
