// Test hooks the app puts on `window` in a browser under automation (src/lib/test-hooks.ts; collab's in
// src/lib/features/collab/collab.svelte.ts), read by the bench inside `page.evaluate`. Loosely typed on purpose.
/* eslint-disable @typescript-eslint/no-explicit-any */

interface Window {
	__cratemeshAnalysis?: any;
	__cratemeshCollab?: any;
	__cratemeshDownloads?: any;
	__cratemeshPlayback?: any;
	__cratemeshSession?: any;
	__cratemeshStream?: any;
	__cratemeshSync?: any;
}
