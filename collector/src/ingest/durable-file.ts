import { type FileHandle, open, rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * Write a file so that after a crash it is there whole or not at all: written under `<path>.tmp`,
 * fsynced, renamed into place, and the directory fsynced so the rename itself is durable. A failed
 * write leaves no temporary file behind. Used by the ingest spool and the alert state file.
 */
export async function writeFileDurably(path: string, data: string | Buffer | Buffer[]): Promise<void> {
  const temporary = `${path}.tmp`
  try {
    const file = await open(temporary, 'w')
    try {
      if (Array.isArray(data)) await writeAll(file, data)
      else await file.writeFile(data)
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(temporary, path)
  } catch (error) {
    await unlink(temporary).catch(() => {})
    throw error
  }
  await syncDirectory(dirname(path))
}

/** Write buffers in order with as few system calls as `writev` allows, finishing short writes. */
async function writeAll(file: FileHandle, chunks: Buffer[]): Promise<void> {
  let pending = chunks.filter((chunk) => chunk.length > 0)
  while (pending.length > 0) {
    // IOV_MAX is 1024 on Linux: larger arrays are written in slices.
    const slice = pending.slice(0, 1024)
    let { bytesWritten } = await file.writev(slice)
    let done = 0
    while (done < slice.length && bytesWritten >= (slice[done] as Buffer).length) {
      bytesWritten -= (slice[done] as Buffer).length
      done++
    }
    const rest = pending.slice(done)
    if (bytesWritten > 0) rest[0] = (rest[0] as Buffer).subarray(bytesWritten)
    pending = rest
  }
}

/** fsync a directory, making the renames and unlinks in it durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const directory = await open(dir, 'r')
  try {
    await directory.sync()
  } finally {
    await directory.close()
  }
}
