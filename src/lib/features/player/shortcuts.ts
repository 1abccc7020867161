import type { MessageKey } from '$lib/i18n/en';

export type ShortcutAction =
	| 'toggle'
	| 'back10'
	| 'forward10'
	| 'back5'
	| 'forward5'
	| 'next'
	| 'previous'
	| 'shuffle'
	| 'repeat'
	| 'mute'
	| 'volumeUp'
	| 'volumeDown'
	| 'queue'
	| 'help';

/** Shown in the help overlay, in this order. */
export const SHORTCUTS: { keys: string[]; action: ShortcutAction; label: MessageKey }[] = [
	{ keys: ['Space', 'K'], action: 'toggle', label: 'shortcuts.toggle' },
	{ keys: ['J'], action: 'back10', label: 'shortcuts.back10' },
	{ keys: ['L'], action: 'forward10', label: 'shortcuts.forward10' },
	{ keys: ['←'], action: 'back5', label: 'shortcuts.back5' },
	{ keys: ['→'], action: 'forward5', label: 'shortcuts.forward5' },
	{ keys: ['N', 'Shift+→'], action: 'next', label: 'shortcuts.next' },
	{ keys: ['P', 'Shift+←'], action: 'previous', label: 'shortcuts.previous' },
	{ keys: ['S'], action: 'shuffle', label: 'shortcuts.shuffle' },
	{ keys: ['R'], action: 'repeat', label: 'shortcuts.repeat' },
	{ keys: ['M'], action: 'mute', label: 'shortcuts.mute' },
	{ keys: ['+', '−'], action: 'volumeUp', label: 'shortcuts.volume' },
	{ keys: ['Q'], action: 'queue', label: 'shortcuts.queue' },
	{ keys: ['?'], action: 'help', label: 'shortcuts.help' }
];

export interface KeyLike {
	key: string;
	shiftKey: boolean;
	ctrlKey: boolean;
	altKey: boolean;
	metaKey: boolean;
	/** Where focus is: shortcuts stay out of text fields, and arrows/space out of widgets that use them. */
	target: { tagName?: string; isContentEditable?: boolean; closest?: (selector: string) => unknown } | null;
}

const TEXT = new Set(['INPUT', 'TEXTAREA', 'SELECT']);
const WIDGETS = '[role="grid"],[role="listbox"],[role="slider"],[role="menu"],button,a,summary,dialog';

/** Maps a keydown to a player action, or null to leave the key alone. */
export function shortcutFor(event: KeyLike): ShortcutAction | null {
	if (event.ctrlKey || event.altKey || event.metaKey) return null;
	const target = event.target;
	if (target && (TEXT.has(target.tagName ?? '') || target.isContentEditable)) return null;
	const inWidget = !!target?.closest?.(WIDGETS);
	const key = event.key;
	switch (key) {
		case ' ':
			return inWidget ? null : 'toggle';
		case 'ArrowLeft':
			return inWidget ? null : event.shiftKey ? 'previous' : 'back5';
		case 'ArrowRight':
			return inWidget ? null : event.shiftKey ? 'next' : 'forward5';
		case '?':
			return 'help';
		case '+':
		case '=':
			return 'volumeUp';
		case '-':
			return 'volumeDown';
	}
	if (event.shiftKey) return null;
	switch (key.toLowerCase()) {
		case 'k':
			return 'toggle';
		case 'j':
			return 'back10';
		case 'l':
			return 'forward10';
		case 'n':
			return 'next';
		case 'p':
			return 'previous';
		case 's':
			return 'shuffle';
		case 'r':
			return 'repeat';
		case 'm':
			return 'mute';
		case 'q':
			return 'queue';
	}
	return null;
}
