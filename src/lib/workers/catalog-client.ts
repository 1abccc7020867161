import { wrap, type Remote } from 'comlink';
import type { CatalogApi, QueryResult } from '$workers/catalog.worker';
import { installWorkerErrorTransfer } from '$workers/shared/errors';

export type { QueryResult };

let remote: Remote<CatalogApi> | undefined;

/** The library catalog (search, filters, sort over every track) in its own worker. */
export function catalogWorker(): Remote<CatalogApi> {
	if (!remote) {
		installWorkerErrorTransfer();
		const worker = new Worker(new URL('../../../workers/catalog.worker.ts', import.meta.url), {
			type: 'module',
			name: 'catalog'
		});
		remote = wrap<CatalogApi>(worker);
	}
	return remote;
}
