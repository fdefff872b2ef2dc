// The replay connector's record of what would have been done: `actions.ndjson` in a state folder.
// Append-only; each line is the whole action at one moment (pending, then done), and the last line of an
// action id wins when the file is read back, so a restarted worker sees the same actions.
import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionKind, ActionRequest, ActionState } from '../types.js';
import { ReplayError } from './errors.js';

export interface RecordedAction {
  actionId: string;
  idempotencyKey: string;
  kind: ActionKind;
  state: ActionState;
  /** ISO time this line was written. */
  at: string;
  request: Omit<ActionRequest, 'idempotencyKey' | 'kind'>;
  detail: string;
}

export class ActionLog {
  readonly path: string;
  private readonly byId = new Map<string, RecordedAction>();
  private readonly byKey = new Map<string, string>();
  /** Bytes of the file already folded into the maps; lines appended by another process are read on demand. */
  private offset = 0;
  private partial = '';

  constructor(stateDir: string) {
    try {
      mkdirSync(stateDir, { recursive: true });
    } catch (error) {
      throw new ReplayError('HW_ERR_REPLAY_STATE', 'actions', `state folder ${stateDir} cannot be created (${(error as NodeJS.ErrnoException).code}); set a writable replay state folder`);
    }
    this.path = join(stateDir, 'actions.ndjson');
    this.refresh();
  }

  byIdempotencyKey(key: string): RecordedAction | undefined {
    this.refresh();
    const id = this.byKey.get(key);
    return id === undefined ? undefined : this.byId.get(id);
  }

  get(actionId: string): RecordedAction | undefined {
    this.refresh();
    return this.byId.get(actionId);
  }

  all(): RecordedAction[] {
    this.refresh();
    return [...this.byId.values()];
  }

  append(record: RecordedAction): void {
    this.refresh();
    appendFileSync(this.path, `${JSON.stringify(record)}\n`, 'utf8');
    this.refresh();
  }

  /** Folds in whatever was appended since the last read (by us or by another worker on the same folder). */
  private refresh(): void {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return; // No file yet: nothing recorded.
    }
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return;
      const buffer = Buffer.alloc(size - this.offset);
      readSync(fd, buffer, 0, buffer.length, this.offset);
      this.offset = size;
      const text = this.partial + buffer.toString('utf8');
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        let record: RecordedAction;
        try {
          record = JSON.parse(line) as RecordedAction;
        } catch {
          continue; // A torn line from a crash mid-write: the action it described was never acknowledged.
        }
        this.byId.set(record.actionId, record);
        this.byKey.set(record.idempotencyKey, record.actionId);
      }
    } finally {
      closeSync(fd);
    }
  }
}
