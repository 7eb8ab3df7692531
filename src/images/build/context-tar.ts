// The build context as the tar stream sent to the engine: exactly the files readBuildContext listed and hashed
// (context.ts: .dockerignore applied by kiln, the Dockerfile and .dockerignore always included, as Docker sends
// them), streamed from disk. kiln makes the stream itself because handing dockerode a directory and a file list
// makes it apply .dockerignore a second time with its own matcher, which drops an ignored Dockerfile (a `*` line
// followed by `!dir` lines) and could send something other than what the content digest covers.
// Regular files keep their permission bits and mtime, symbolic links are sent as links; owners are 0:0.
import { createReadStream } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { entryHeaders, tarEnd, tarPadding } from '../../publish/deb/tar.js';

async function* entries(dir: string, files: string[]): AsyncGenerator<Buffer> {
  for (const path of files) {
    const abs = join(dir, path);
    const st = await lstat(abs);
    const mtime = Math.floor(st.mtimeMs / 1000);
    if (st.isSymbolicLink()) {
      yield* entryHeaders({ path, type: 'symlink', mode: 0o777, mtime, size: 0, linkname: await readlink(abs) });
      continue;
    }
    if (!st.isFile()) continue;
    yield* entryHeaders({ path, type: 'file', mode: st.mode & 0o7777, mtime, size: st.size });
    let sent = 0;
    if (st.size > 0) {
      for await (const chunk of createReadStream(abs, { end: st.size - 1 })) {
        sent += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    }
    // A file that shrank since it was listed would corrupt the archive: fail instead of sending a short entry.
    if (sent !== st.size) throw new Error(`${abs} changed while the build context was being sent`);
    yield tarPadding(st.size);
  }
  yield tarEnd();
}

/** A tar stream of `files` (paths relative to `dir`, `/`-separated) for POST /build. */
export function contextTar(dir: string, files: string[]): Readable {
  return Readable.from(entries(dir, files), { objectMode: false });
}
