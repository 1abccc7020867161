import { db } from '$lib/db';
import { i18n, LOCALES, type Locale } from '$lib/i18n/i18n.svelte';

export type Theme = 'dark' | 'light';

/** Theme and language, kept in the settings table and applied to <html>. */
export class Preferences {
	#theme = $state<Theme>('dark');

	get theme(): Theme {
		return this.#theme;
	}

	get locale(): Locale {
		return i18n.locale;
	}

	get chosenLocale(): Locale | null {
		return i18n.chosen;
	}

	async load(): Promise<void> {
		i18n.detect(navigator.languages ?? [navigator.language]);
		try {
			const [theme, locale] = await db().settings.bulkGet(['theme', 'locale']);
			if (theme?.value === 'light' || theme?.value === 'dark') this.#theme = theme.value;
			if (LOCALES.includes(locale?.value as Locale)) i18n.choose(locale?.value as Locale);
		} catch {
			// Storage can be unavailable (private mode, quota): defaults still give a working app.
		}
		this.apply();
	}

	async setTheme(theme: Theme): Promise<void> {
		this.#theme = theme;
		this.apply();
		await db().settings.put({ key: 'theme', value: theme });
	}

	async setLocale(locale: Locale | null): Promise<void> {
		i18n.choose(locale);
		this.apply();
		if (locale) await db().settings.put({ key: 'locale', value: locale });
		else await db().settings.delete('locale');
	}

	apply(): void {
		const root = document.documentElement;
		root.dataset.theme = this.#theme;
		root.lang = i18n.locale;
		document
			.querySelector('meta[name="theme-color"]')
			?.setAttribute('content', this.#theme === 'dark' ? '#0f1115' : '#f6f7f9');
	}
}

export const preferences = new Preferences();
