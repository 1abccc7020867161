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
	return template.replace(/\{(\w+)\}/g, (match, name: string) => (name in values ? String(values[name]) : match));
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

	t = (key: MessageKey, values?: Record<string, string | number>): string => format(catalogs[this.locale][key], values);
}

export const i18n = new I18n();
export const t = i18n.t;
