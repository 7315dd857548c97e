/**
 * Change events for every file below a folder, set up synchronously: one inotify watch per folder, added as folders
 * appear. Node 20's `fs.watch(dir, { recursive: true })` on Linux walks the tree asynchronously after it returns, so
 * a save made right after it starts can go unseen, which is the first thing an author does.
 */
import { readdirSync, watch, type FSWatcher } from 'node:fs'
import { join, relative } from 'node:path'

export interface TreeWatcher {
  close(): void
}

/** Calls `changed` with the path (relative to `root`) of each created, written, renamed or removed file not `ignored`. */
export function watchTree(root: string, ignored: (path: string) => boolean, changed: (path: string) => void): TreeWatcher {
  const watchers = new Map<string, FSWatcher>()
  const add = (dir: string) => {
    if (watchers.has(dir) || (dir !== root && ignored(relative(root, dir)))) return
    let entries
    try {
      entries = readdirSync(dir, { withFileTypes: true })
      watchers.set(
        dir,
        watch(dir, (_event, name) => {
          const path = relative(root, join(dir, name ? name.toString() : ''))
          if (ignored(path)) return
          // A new folder is watched from now on; a removed one drops out when its watcher errors.
          add(join(dir, name ? name.toString() : ''))
          changed(path)
        }).on('error', () => remove(dir)),
      )
    } catch {
      return // not a folder, or gone already
    }
    for (const entry of entries) if (entry.isDirectory()) add(join(dir, entry.name))
  }
  const remove = (dir: string) => {
    watchers.get(dir)?.close()
    watchers.delete(dir)
  }
  add(root)
  return { close: () => [...watchers.keys()].forEach(remove) }
}
