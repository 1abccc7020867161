import { directorContext, type DirectorContext } from './context';
import { DevicesStore } from './devices.svelte';
import { MediaStore } from './media.svelte';
import { PlaylistsStore } from './playlists.svelte';
import { SchedulesStore } from './schedules.svelte';
import { UploadQueue } from './uploads.svelte';

export type DirectorTab = 'media' | 'playlists' | 'schedules' | 'devices';
export const TABS: readonly DirectorTab[] = ['media', 'playlists', 'schedules', 'devices'];

/** Everything the director panel shows for one tenant. A new tenant gets a new Director. */
export class Director {
	readonly media: MediaStore;
	readonly uploads: UploadQueue;
	readonly playlists: PlaylistsStore;
	readonly schedules: SchedulesStore;
	readonly devices: DevicesStore;

	readonly ctx: DirectorContext;

	constructor(ctx: DirectorContext) {
		this.ctx = ctx;
		this.playlists = new PlaylistsStore(ctx);
		this.media = new MediaStore(ctx, (id) => this.playlists.forgetAsset(id));
		this.uploads = new UploadQueue(ctx, (asset) => this.media.added(asset));
		this.schedules = new SchedulesStore(ctx);
		this.devices = new DevicesStore(ctx);
	}

	static async open(tenantId: string): Promise<Director | null> {
		const ctx = await directorContext(tenantId);
		return ctx ? new Director(ctx) : null;
	}

	load(): Promise<void> {
		return Promise.all([this.media.load(), this.playlists.load(), this.schedules.load(), this.devices.load()]).then(
			() => undefined
		);
	}
}
