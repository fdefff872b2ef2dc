// Prometheus metrics of the response stage, on the process's registry: step transitions by action and
// state, and the time from the last approval to a step's outcome.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { CaseStep } from './step.js';

function counter(registry: Registry): Counter<'action' | 'from' | 'to'> {
  const name = 'hivewatch_response_transitions_total';
  return (registry.getSingleMetric(name) as Counter<'action' | 'from' | 'to'> | undefined) ??
    new Counter({ name, help: 'Response step state transitions, by plan action', labelNames: ['action', 'from', 'to'] as const, registers: [registry] });
}

function histogram(registry: Registry): Histogram<'action' | 'outcome'> {
  const name = 'hivewatch_response_approval_to_outcome_seconds';
  return (registry.getSingleMetric(name) as Histogram<'action' | 'outcome'> | undefined) ??
    new Histogram({ name, help: 'Seconds from the last approval to the step being done or failed', labelNames: ['action', 'outcome'] as const, buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900], registers: [registry] });
}

export function transitionObserver(registry: Registry): (before: CaseStep, after: CaseStep) => void {
  const transitions = counter(registry);
  const latency = histogram(registry);
  return (before, after) => {
    if (before.state === after.state) return;
    transitions.inc({ action: after.action, from: before.state, to: after.state });
    const approvedAt = after.usedApprovals.at(-1)?.at;
    if (before.state === 'running' && (after.state === 'done' || after.state === 'failed') && approvedAt) {
      latency.observe({ action: after.action, outcome: after.state }, Math.max(0, Date.now() - Date.parse(approvedAt)) / 1000);
    }
  };
}
