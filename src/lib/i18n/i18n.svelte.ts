import { en, type MessageKey, type Messages } from './en';
import { ptBR } from './pt-br';

export const LOCALES = ['en', 'pt-BR'] as const;
export type Locale = (typeof LOCALES)[number];

const catalogs: Record<Locale, Messages> = { en, 'pt-BR': ptBR };

/** Picks the best supported locale from the browser's preference list. */
export function matchLocale(preferred: readonly string[]): Locale {
	for (const tag of preferred) {
		const lower = tag.toLowerCase();
		if (lower.startsWith('pt')) return 'pt-BR';
		if (lower.startsWith('en')) return 'en';
	}
	return 'en';
}

/** Replaces `{name}` placeholders; unknown names stay visible so a missing value is noticed. */
export function format(template: string, values: Record<string, string | number> = {}): string {
	return template.replace(/\{(\w+)\}/g, (match, name: string) =>
		Object.hasOwn(values, name) ? String(values[name]) : match
	);
}

const warned = new Set<string>();

/**
 * The message for a key: the locale's, else the English one, else the key itself. Keys may be built from
 * data (`color.${track.color}`, and a colour can come from a backup or a peer), so a missing one must not
 * throw — nor find `constructor` and friends on Object.prototype.
 */
function message(locale: Locale, key: string): string {
	for (const catalog of [catalogs[locale], en] as Record<string, string>[])
		if (Object.hasOwn(catalog, key)) return catalog[key]!;
	if (import.meta.env.DEV && !warned.has(key)) {
		warned.add(key);
		console.warn(`i18n: no message for "${key}"`);
	}
	return key;
}

class I18n {
	/** null means "follow the browser". */
	#chosen = $state<Locale | null>(null);
	#browser = $state<Locale>('en');

	get locale(): Locale {
		return this.#chosen ?? this.#browser;
	}

	get chosen(): Locale | null {
		return this.#chosen;
	}

	detect(languages: readonly string[]): void {
		this.#browser = matchLocale(languages);
	}

	choose(locale: Locale | null): void {
		this.#chosen = locale;
	}

	t = (key: MessageKey, values?: Record<string, string | number>): string => format(message(this.locale, key), values);
}

export const i18n = new I18n();
export const t = i18n.t;
