/** Extensions the library accepts; anything else in a dropped folder is skipped and counted. */
export const AUDIO_EXTENSIONS = [
	'mp3',
	'flac',
	'ogg',
	'oga',
	'opus',
	'm4a',
	'mp4',
	'aac',
	'wav',
	'aif',
	'aiff'
] as const;

export function isAudioFileName(name: string): boolean {
	const dot = name.lastIndexOf('.');
	if (dot < 0) return false;
	return (AUDIO_EXTENSIONS as readonly string[]).includes(name.slice(dot + 1).toLowerCase());
}

export function formatDuration(seconds: number): string {
	if (!Number.isFinite(seconds) || seconds < 0) return '–';
	const s = Math.round(seconds);
	const h = Math.floor(s / 3600);
	const m = Math.floor((s % 3600) / 60);
	const rest = String(s % 60).padStart(2, '0');
	return h ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}
