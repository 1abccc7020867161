import { wrap, type Remote } from 'comlink';
import { installWorkerErrorTransfer } from '$workers/shared/errors';
import type { ProbeApi, ProbeResult } from './probe.worker';

export type { ProbeResult };

let remote: Remote<ProbeApi> | undefined;

/** Audio check and tag defaults for an upload, off the UI thread (one worker per tab). */
export function probeFile(file: Blob): Promise<ProbeResult> {
	if (!remote) {
		installWorkerErrorTransfer();
		remote = wrap<ProbeApi>(
			new Worker(new URL('./probe.worker.ts', import.meta.url), { type: 'module', name: 'director-probe' })
		);
	}
	return remote.probe(file);
}
