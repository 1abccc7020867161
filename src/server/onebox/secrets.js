import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';

/**
 * Writes a file readable by its owner only, failing if it exists (no clobbering a secret).
 * @param {string} path
 * @param {string} content
 */
export function writePrivateFile(path, content) {
	const fd = openSync(path, 'wx', 0o600);
	try {
		writeSync(fd, content);
	} finally {
		closeSync(fd);
	}
}

/**
 * The JWT signing secret: generated once, kept in the data directory with mode 0600. Anyone who can
 * read it can sign tokens for any user, so it never leaves the box (backups of the data directory
 * carry it: protect them the same way).
 * @param {string} path
 * @returns {Buffer}
 */
export function loadOrCreateSecret(path) {
	if (!existsSync(path)) writePrivateFile(path, randomBytes(48).toString('base64url') + '\n');
	const mode = statSync(path).mode & 0o777;
	if (mode & 0o077) {
		chmodSync(path, 0o600);
		console.warn(`onebox: ${path} was readable by others; its mode is now 0600`);
	}
	const secret = readFileSync(path, 'utf8').trim();
	if (secret.length < 32) throw new Error(`${path} holds a secret shorter than 32 characters`);
	return Buffer.from(secret, 'utf8');
}

/**
 * One server per data directory: PGlite is a single-process database and two writers would corrupt
 * it. A lock file holding our pid; a stale one (its process gone) is taken over.
 * @param {string} path
 * @returns {() => void} release
 */
export function lockDataDir(path) {
	for (let attempt = 0; attempt < 3; attempt++) {
		try {
			writePrivateFile(path, String(process.pid));
			return () => {
				try {
					if (readFileSync(path, 'utf8') === String(process.pid)) unlinkSync(path);
				} catch {
					// already gone
				}
			};
		} catch (error) {
			if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;

			let pid;
			try {
				pid = Number(readFileSync(path, 'utf8'));
			} catch {
				continue;
			}
			if (pid && isAlive(pid))
				throw new Error(
					`The data directory is in use by process ${pid} (${path}). Stop that server first, or set CRATEMESH_DATA_DIR.`,
					{ cause: error }
				);
			try {
				unlinkSync(path);
			} catch {
				// another process took it over first; the next attempt decides
			}
		}
	}
	throw new Error(`Could not lock ${path}`);
}

/**
 * Whether the lock's owner still runs. On Linux a zombie (killed, not yet reaped) or a recycled pid
 * that is not a Node process after a reboot does not count.
 * @param {number} pid
 */
function isAlive(pid) {
	try {
		process.kill(pid, 0);
	} catch (error) {
		return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
	}
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		if (/^\d+ \(.*\) Z/.test(stat)) return false;
		const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
		return /node|bun|deno/i.test(cmdline);
	} catch {
		// No /proc (macOS, Windows): the signal check is all there is.
		return true;
	}
}
