/**
 * Shared date formatters, one per locale and style. Building the first `Intl.DateTimeFormat` of a page costs
 * ~25 ms of UI-thread time (ICU loads the locale's data): made on demand by the track table, that landed in the
 * task that showed an import's first rows and, with the import's workers busy on every core, stretched it
 * past 100 ms. The app builds the one it needs while idle after start-up (`warm`).
 */
const cache = new Map<string, Intl.DateTimeFormat>();

/** The short date format ("06/12/2026", "12/6/26") of a locale. */
export function shortDate(locale: string): Intl.DateTimeFormat {
	let format = cache.get(locale);
	if (!format) {
		format = new Intl.DateTimeFormat(locale, { dateStyle: 'short' });
		cache.set(locale, format);
	}
	return format;
}
