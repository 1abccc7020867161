/** Moves the element at `from` to `to` (both clamped), returning a new array. */
export function move<T>(list: readonly T[], from: number, to: number): T[] {
	const out = [...list];
	if (from < 0 || from >= out.length) return out;
	const target = Math.max(0, Math.min(out.length - 1, to));
	const [item] = out.splice(from, 1);
	out.splice(target, 0, item as T);
	return out;
}
