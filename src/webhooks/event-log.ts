import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import { withFileLock } from '../core/file-lock.js';
import { listJsonIds, readJsonFile } from '../core/json-files.js';
import type { ProviderName } from '../core/job.js';

export type DeliveryState = 'pending' | 'delivered' | 'dead';

export interface Delivery {
  target: string;
  state: DeliveryState;
  attempts: number;
  /** HTTP status of the last attempt, or null when it got no answer. */
  lastStatus: number | null;
  lastError: string | null;
  updatedAt: string;
}

/** One event, as recorded before any forward: the exact body bytes, and where it must go. */
export interface WebhookEvent {
  id: string;
  provider: ProviderName;
  type: string;
  /** Where it came from: a job status change, an inbound delivery, or `webhooks trigger`. */
  source: 'job' | 'inbound' | 'trigger' | 'replay';
  jobId: string | null;
  createdAt: string;
  body: string;
  deliveries: Delivery[];
}

/**
 * Events and their deliveries, one JSON file per event under `<configDir>/webhooks/events/`, named by a
 * hash of the exact id (ids come from providers and may hold any character; two distinct ids never
 * share a file), written atomically under the event's lock. An event is stored before it is forwarded
 * and each delivery's outcome as soon as its answer arrives, so a listener killed at any point finds
 * on restart what is still owed.
 */
export class EventLog {
  readonly dir: string;

  constructor(configDir: string) {
    this.dir = join(configDir, 'webhooks', 'events');
  }

  private pathOf(id: string): string {
    return join(this.dir, `${createHash('sha256').update(id, 'utf8').digest('hex')}.json`);
  }

  /** Where logs written before ids were hashed kept the event (an id with its odd characters replaced). */
  private legacyPathOf(id: string): string {
    return join(this.dir, `${id.replace(/[^A-Za-z0-9_-]/g, '_')}.json`);
  }

  private async write(event: WebhookEvent): Promise<void> {
    await writeFileAtomic(this.pathOf(event.id), JSON.stringify(event));
    const legacy = this.legacyPathOf(event.id);
    if (legacy !== this.pathOf(event.id)) await rm(legacy, { force: true });
  }

  /** Records a new event; returns null when an event with this id exists already (a duplicate). */
  async add(event: WebhookEvent): Promise<WebhookEvent | null> {
    await mkdir(this.dir, { recursive: true });
    const path = this.pathOf(event.id);
    return withFileLock(`${path}.lock`, async () => {
      if (await this.find(event.id)) return null;
      await this.write(event);
      return event;
    });
  }

  /** The event with exactly this id. */
  async find(id: string): Promise<WebhookEvent | null> {
    const event = (await readJsonFile<WebhookEvent>(this.pathOf(id))) ?? (await readJsonFile<WebhookEvent>(this.legacyPathOf(id)));
    return event?.id === id ? event : null;
  }

  /** Updates (or adds) the delivery of `id` to `target`. */
  async recordDelivery(id: string, target: string, change: (current: Delivery) => Partial<Delivery>): Promise<WebhookEvent> {
    const path = this.pathOf(id);
    return withFileLock(`${path}.lock`, async () => {
      const event = await this.find(id);
      if (!event) throw new Error(`no webhook event ${id}`);
      const now = new Date().toISOString();
      const current = event.deliveries.find((d) => d.target === target) ?? { target, state: 'pending' as const, attempts: 0, lastStatus: null, lastError: null, updatedAt: now };
      const next = { ...current, ...change(current), updatedAt: now };
      event.deliveries = [...event.deliveries.filter((d) => d.target !== target), next];
      await this.write(event);
      return event;
    });
  }

  /** All events, newest first (an unreadable file is skipped: one bad file must not hide the rest). */
  async list(): Promise<WebhookEvent[]> {
    const byId = new Map<string, WebhookEvent>();
    for (const name of await listJsonIds(this.dir)) {
      const path = join(this.dir, `${name}.json`);
      const event = await readJsonFile<WebhookEvent>(path).catch(() => null);
      // Beside a legacy copy left by a kill mid-rename, the hashed file is the current one.
      if (event && typeof event.id === 'string' && (!byId.has(event.id) || path === this.pathOf(event.id))) byId.set(event.id, event);
    }
    return [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  }

  /** Deliveries still owed to `targets`, oldest first (for a restarted listener). */
  async pending(targets: string[]): Promise<{ event: WebhookEvent; target: string }[]> {
    const owed: { event: WebhookEvent; target: string }[] = [];
    for (const event of (await this.list()).reverse()) {
      for (const delivery of event.deliveries) if (delivery.state === 'pending' && targets.includes(delivery.target)) owed.push({ event, target: delivery.target });
    }
    return owed;
  }
}

/**
 * The last job state the listener turned into events, per job, persisted so that a restart neither
 * repeats an event nor misses a change that happened while it was down.
 */
export class JobStateLog {
  private readonly path: string;

  constructor(configDir: string) {
    this.path = join(configDir, 'webhooks', 'job-states.json');
  }

  load(): Promise<Record<string, string> | null> {
    return readJsonFile<Record<string, string>>(this.path);
  }

  async save(states: Record<string, string>): Promise<void> {
    await mkdir(join(this.path, '..'), { recursive: true });
    await withFileLock(`${this.path}.lock`, () => writeFileAtomic(this.path, JSON.stringify(states)));
  }
}
