// `hivewatch cases ...`, `hivewatch steps ...`, `hivewatch audit ...`: the response stage from a terminal.
// Decisions need an identity: the API token in HIVEWATCH_TOKEN (or a file named by HIVEWATCH_TOKEN_FILE),
// checked against the hashed tokens of `response.identities` like the API does. Never pass it as a flag.
import { createWriteStream, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { writeNdjson } from '../audit/export.js';
import { verifyAuditLog } from '../audit/verify.js';
import { CaseStore } from '../cases/store.js';
import { ConfigError, loadConfig, type HivewatchConfig } from '../config.js';
import { createQueues, type Queues } from '../queues.js';
import { createRedis, waitReady } from '../redis.js';
import { connectorFromConfig } from '../response/connector.js';
import { ResponseError } from '../response/errors.js';
import { requirePrincipal, type Principal } from '../response/identity.js';
import { createResponseRuntime, type ResponseRuntime } from '../response/runtime.js';
import type { CaseStep } from '../response/step.js';
import { stepView } from '../response/views.js';

interface Flags {
  config?: string;
  json?: boolean;
}

interface Session {
  config: HivewatchConfig;
  runtime: ResponseRuntime;
  cases: CaseStore;
  queues: Queues;
  close(): Promise<void>;
}

class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

async function open(flags: Flags): Promise<Session> {
  const config = loadConfig(process.env, flags.config);
  const redis = createRedis(config.redis, 'producer', 'hivewatch-cli');
  redis.on('error', () => undefined);
  await waitReady(redis);
  const queues = createQueues(redis, config);
  const cases = new CaseStore(redis, { prefix: config.redis.prefix, ...config.cases });
  const runtime = createResponseRuntime({ config, redis, connector: connectorFromConfig(config), queue: queues.response, cases });
  return {
    config,
    runtime,
    cases,
    queues,
    async close() {
      await queues.close();
      await redis.quit().catch(() => undefined);
    },
  };
}

function token(): string {
  const file = process.env.HIVEWATCH_TOKEN_FILE;
  const value = file ? readFileSync(file, 'utf8').trim() : process.env.HIVEWATCH_TOKEN;
  if (!value) throw new CliExit(2, 'HW_ERR_UNAUTHENTICATED: set HIVEWATCH_TOKEN (or HIVEWATCH_TOKEN_FILE) to your API token');
  return value;
}

function principal(session: Session): Principal {
  return requirePrincipal(session.runtime.config, { headers: { authorization: `Bearer ${token()}` }, remoteAddress: undefined });
}

/** Runs a command body with a session; errors print their code and message, never a stack. */
function action<A extends unknown[]>(body: (session: Session, ...args: A) => Promise<number | void>) {
  return async (...args: A) => {
    const command = args[args.length - 1] as Command;
    const flags = { ...(command.optsWithGlobals?.() ?? {}) } as Flags;
    let session: Session | undefined;
    try {
      session = await open(flags);
      const code = await body(session, ...args);
      process.exitCode = code ?? 0;
    } catch (err) {
      if (err instanceof ResponseError || err instanceof ConfigError || err instanceof CliExit) {
        process.stderr.write(`${err.message}\n`);
        process.exitCode = err instanceof CliExit ? err.exitCode : err instanceof ConfigError ? 78 : 1;
      } else {
        const code = (err as { code?: string }).code;
        process.stderr.write(`${code && code.startsWith('HW_ERR') ? '' : 'HW_ERR_INTERNAL: '}${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    } finally {
      await session?.close();
    }
  };
}

const out = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

function stepLine(step: CaseStep): string {
  const view = stepView(step);
  const approvals = step.state === 'proposed' ? ` approvals ${step.approvals.length}/${step.approvalsRequired}` : '';
  const undo = view.undo ? ` undo: ${view.undo}` : '';
  return `  ${step.stepId.padEnd(4)} ${step.state.padEnd(9)} ${step.action} ${step.target}${step.connectorAction ? ` [${step.connectorAction}]` : ' [manual]'}${approvals}${undo}\n       hash ${step.hash}${step.detail ? `\n       ${step.detail}` : ''}`;
}

const sinceSchema = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'expected an ISO-8601 time, e.g. 2026-11-25T00:00:00Z');

export function registerResponseCommands(program: Command): void {
  const cases = program.command('cases').description('cases with response steps').option('-c, --config <file>', 'config file (JSON or TOML); default $HIVEWATCH_CONFIG');

  cases
    .command('list')
    .description('cases whose steps wait for a person (--all: every case with steps)')
    .option('--all', 'include cases with nothing waiting', false)
    .option('--json', 'print JSON', false)
    .action(
      action(async (session, flags: { all: boolean; json: boolean }) => {
        const ids = await session.runtime.store.listCases(!flags.all);
        const rows = await Promise.all(
          ids.map(async (caseId) => {
            const [record, steps, meta] = await Promise.all([session.cases.get(caseId), session.runtime.service.listSteps(caseId), session.runtime.store.getMeta(caseId)]);
            return { caseId, status: record?.status ?? null, hostId: meta?.hostId ?? record?.hostId ?? null, disposition: meta?.disposition ?? null, waiting: steps.filter((s) => s.state === 'proposed').length, steps: steps.length };
          }),
        );
        if (flags.json) return out(JSON.stringify({ cases: rows }, null, 2));
        if (rows.length === 0) return out(flags.all ? 'no cases with steps' : 'no cases waiting for a decision');
        for (const row of rows) out(`${row.caseId}  host ${row.hostId ?? '?'}  ${row.disposition ?? '?'}  ${row.waiting} waiting / ${row.steps} steps${row.status ? `  (${row.status})` : ''}`);
      }),
    );

  cases
    .command('show <id>')
    .description('the case summary with its evidence and steps')
    .option('--json', 'print JSON', false)
    .action(
      action(async (session, id: string, flags: { json: boolean }) => {
        const [record, report, steps, meta] = await Promise.all([session.cases.get(id), session.cases.getReport(id), session.runtime.service.listSteps(id), session.runtime.store.getMeta(id)]);
        if (!record && !report && steps.length === 0) throw new ResponseError('HW_ERR_NOT_FOUND', 404, `no case ${id}; list them with: hivewatch cases list --all`);
        if (flags.json) return out(JSON.stringify({ case: record, report, evidenceVersion: meta?.evidenceVersion ?? null, steps: steps.map(stepView) }, null, 2));
        out(`case ${id}${record ? `  ${record.status}  host ${record.hostId}${record.hostName ? ` (${record.hostName})` : ''}  alerts ${record.alertCount}` : ''}`);
        if (report) {
          out(`disposition ${report.disposition}  score ${report.score}  verified ${report.verification.verified} (${report.verification.reason})`);
          out(`hives ${report.hives.join(', ') || '-'}  verb ${report.verb ?? '-'}  output ${report.outputPath ?? '-'}  destinations ${report.destinations.join(', ') || '-'}`);
          out(`host role ${report.hostRole ?? 'unknown'}  criticality ${report.criticality ?? 'unknown'}`);
          out('evidence:');
          for (const factor of report.factors) {
            out(`  ${factor.weight >= 0 ? '+' : ''}${factor.weight} ${factor.id}${factor.description ? `: ${factor.description}` : ''}`);
            for (const evidence of factor.evidence) out(`      ${evidence.summary} [${evidence.connector}: ${evidence.query}]`);
          }
          if (report.unresolved.length) out(`unresolved: ${report.unresolved.join('; ')}`);
        }
        out(`steps (evidence version ${meta?.evidenceVersion ?? '-'}):`);
        for (const step of steps) out(stepLine(step));
      }),
    );

  const steps = program.command('steps').description('approve, deny or revert response steps (identity: $HIVEWATCH_TOKEN)').option('-c, --config <file>', 'config file (JSON or TOML); default $HIVEWATCH_CONFIG');

  steps
    .command('list <id>')
    .description("a case's steps with their hashes")
    .option('--json', 'print JSON', false)
    .action(
      action(async (session, id: string, flags: { json: boolean }) => {
        const list = await session.runtime.service.listSteps(id);
        if (flags.json) return out(JSON.stringify({ caseId: id, steps: list.map(stepView) }, null, 2));
        for (const step of list) out(stepLine(step));
      }),
    );

  steps
    .command('approve <id> <step>')
    .description('approve a step as it stands (or exactly the --hash you reviewed)')
    .option('--hash <sha256>', 'the step hash you reviewed; refused if the step changed since')
    .action(
      action(async (session, id: string, stepId: string, flags: { hash?: string }) => {
        const who = principal(session);
        const current = await session.runtime.store.mustGet(id, stepId);
        if (!flags.hash) out(`approving as shown:\n${stepLine(current)}`);
        const step = await session.runtime.service.approve(id, stepId, who, flags.hash ?? current.hash);
        out(step.state === 'approved' ? `${stepId} approved by ${who.id}; queued to run` : `${stepId}: approval of ${who.id} recorded; ${step.approvalsRequired - step.approvals.length} more approver(s) needed`);
      }),
    );

  steps
    .command('deny <id> <step>')
    .description('deny a step, with the reason')
    .requiredOption('--reason <text>', 'why the step is denied')
    .action(
      action(async (session, id: string, stepId: string, flags: { reason: string }) => {
        const who = principal(session);
        await session.runtime.service.deny(id, stepId, who, flags.reason);
        out(`${stepId} denied by ${who.id}`);
      }),
    );

  steps
    .command('revert <id> <step>')
    .description('propose the inverse of a done step; it needs approval like any step')
    .option('--reason <text>', 'why', 'requested from the CLI')
    .action(
      action(async (session, id: string, stepId: string, flags: { reason: string }) => {
        const who = principal(session);
        const revert = await session.runtime.service.revert(id, stepId, who, flags.reason);
        out(`revert of ${stepId} proposed as ${revert.stepId} (${revert.connectorAction ?? 'manual'}); another responder must approve it\n${stepLine(revert)}`);
      }),
    );

  steps
    .command('evidence <id> <step>')
    .description('ask for more evidence: re-runs the investigation and voids approvals given so far')
    .requiredOption('--question <text>', 'what is missing')
    .action(
      action(async (session, id: string, stepId: string, flags: { question: string }) => {
        const result = await session.runtime.service.requestMoreEvidence(id, stepId, principal(session), flags.question);
        out(`evidence version is now ${result.evidenceVersion}; approvals of open steps were voided`);
      }),
    );

  steps
    .command('complete <id> <step>')
    .description('report the outcome of a manual step')
    .requiredOption('--note <text>', 'what was done')
    .option('--failed', 'the manual step failed', false)
    .action(
      action(async (session, id: string, stepId: string, flags: { note: string; failed: boolean }) => {
        const step = await session.runtime.service.completeManual(id, stepId, principal(session), flags.failed ? 'failed' : 'done', flags.note);
        out(`${stepId} ${step.state}`);
      }),
    );

  const audit = program.command('audit').description('the tamper-evident audit trail').option('-c, --config <file>', 'config file (JSON or TOML); default $HIVEWATCH_CONFIG');

  audit
    .command('verify')
    .description('walk the hash chain; exit 1 and name the first broken record')
    .option('--json', 'print JSON', false)
    .action(
      action(async (session, flags: { json: boolean }) => {
        const result = await verifyAuditLog(session.runtime.audit);
        if (flags.json) out(JSON.stringify(result, null, 2));
        else if (result.ok) out(`ok: ${result.records} records, head seq ${result.lastSeq} hash ${result.lastHash}`);
        else out(`BROKEN at record ${result.broken!.id} (seq ${result.broken!.seq ?? '?'}): ${result.broken!.reason}\n${result.records} records before it verify`);
        return result.ok ? 0 : 1;
      }),
    );

  audit
    .command('export')
    .description('write the records as NDJSON (verify with sha256sum and jq: docs/audit.md)')
    .option('--case <id>', 'only the records of this case')
    .option('--since <time>', 'only records at or after this ISO-8601 time')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(
      action(async (session, flags: { case?: string; since?: string; output?: string }) => {
        let since: Date | undefined;
        if (flags.since !== undefined) {
          const parsed = sinceSchema.safeParse(flags.since);
          if (!parsed.success) throw new CliExit(2, `HW_ERR_BAD_REQUEST: --since: ${parsed.error.issues[0]!.message}`);
          since = new Date(parsed.data);
        }
        const stream = flags.output ? createWriteStream(flags.output) : process.stdout;
        const write = (line: string) =>
          new Promise<void>((resolve, reject) => {
            if (stream.write(line)) resolve();
            else stream.once('drain', resolve).once('error', reject);
          });
        const lines = await writeNdjson(session.runtime.audit, { caseId: flags.case, since }, write);
        if (flags.output) await new Promise<void>((resolve) => (stream as ReturnType<typeof createWriteStream>).end(resolve));
        process.stderr.write(`${lines} records exported\n`);
      }),
    );
}
