// The app is a client-side shell: IndexedDB, OPFS, workers and WebRTC exist only in the browser.
export const ssr = false;
export const prerender = false;
