import { open, rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * Write a file so that after a crash it is there whole or not at all: written under `<path>.tmp`,
 * fsynced, renamed into place, and the directory fsynced so the rename itself is durable. A failed
 * write leaves no temporary file behind. Used by the ingest spool and the alert state file.
 */
export async function writeFileDurably(path: string, data: string | Buffer): Promise<void> {
  const temporary = `${path}.tmp`
  try {
    const file = await open(temporary, 'w')
    try {
      await file.writeFile(data)
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

/** fsync a directory, making the renames and unlinks in it durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const directory = await open(dir, 'r')
  try {
    await directory.sync()
  } finally {
    await directory.close()
  }
}
