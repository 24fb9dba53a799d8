import { ALL_TENANTS, type TaskRecord, type TenantScope } from '../core/index.js';
import { TaskHeap, type Queued } from './heap.js';
import { targetKeyOf } from './records.js';

/** The unclaimed tasks this process knows: a heap per target and tenant, so one tenant's queue never fills another's. */
export class TaskQueues<T extends Queued & { task: TaskRecord }> {
  #byTarget = new Map<string, Map<string, TaskHeap<T>>>();

  /** The heap of the task's target and tenant; made when `create` and missing. */
  of(task: TaskRecord, create: boolean): TaskHeap<T> | undefined {
    const target = targetKeyOf(task);
    let byTenant = this.#byTarget.get(target);
    if (!byTenant) {
      if (!create) return undefined;
      this.#byTarget.set(target, (byTenant = new Map()));
    }
    let heap = byTenant.get(task.tenant);
    if (!heap && create) byTenant.set(task.tenant, (heap = new TaskHeap<T>()));
    return heap;
  }

  /** The heap whose head should go next to a subscriber of these targets and tenants: highest priority, then oldest. */
  best(targets: readonly string[], scope: TenantScope): TaskHeap<T> | undefined {
    let best: TaskHeap<T> | undefined;
    for (const target of targets) {
      const byTenant = this.#byTarget.get(target);
      if (!byTenant) continue;
      if (scope === ALL_TENANTS) {
        for (const heap of byTenant.values()) best = better(heap, best);
      } else {
        best = better(byTenant.get(scope), best);
      }
    }
    return best;
  }

  /** Unclaimed tasks of one target, over every tenant. */
  sizeOf(target: string): number {
    let n = 0;
    for (const heap of this.#byTarget.get(target)?.values() ?? []) n += heap.size;
    return n;
  }

  /** Empties one target's heaps, returning what they held. */
  take(target: string): T[] {
    const out: T[] = [];
    for (const heap of this.#byTarget.get(target)?.values() ?? [])
      for (let x = heap.pop(); x; x = heap.pop()) out.push(x);
    this.#byTarget.delete(target);
    return out;
  }

  clear(): void {
    this.#byTarget.clear();
  }
}

function better<T extends Queued>(
  heap: TaskHeap<T> | undefined,
  best: TaskHeap<T> | undefined,
): TaskHeap<T> | undefined {
  const top = heap?.peek();
  if (!top) return best;
  const other = best?.peek();
  if (!other) return heap;
  return top.priority > other.priority || (top.priority === other.priority && top.id < other.id) ? heap : best;
}
